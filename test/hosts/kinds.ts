// What differs between the kinds of host the shared contract suite (suite.ts) runs in: which
// pinned sets it runs over and how each set's venv is made, what must be built first, what the
// host serves, and how the "shown twice" case can show the bridge there. The anywidget hosts
// take their sets from test/hosts/versions.json; Streamlit, the component beside them, takes
// the newest of test/streamlit/versions.json (its matrix venv, frame="auto": the v2 module).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { hostSets, setupHostSet, widgetExists } from '../../scripts/setup-hosts.mjs'
import { matrixVersions, setupVersion } from '../../scripts/setup-streamlit-matrix.mjs'
import type { HostKind } from './hosts'

export interface KindSet {
  /** The figures' and describe blocks' label: `<first package>-<version>`, or the Streamlit version. */
  name: string
  /** Makes (or checks) the set's venv; its bin directory. */
  setup(): string
}

export interface Kind {
  sets(): KindSet[]
  /** Whether what the host loads is built (widget/, or the component's v2 module), and what that is. */
  built(): boolean
  needs: string
  /** What the host serves, given the suite's scratch folder (where the notebooks go). */
  target(scratch: string): string
  /** How the "shown twice" case shows the bridge, for its figure. */
  twice: string
}

const anywidgetSets = (family: 'jupyter' | 'marimo' | 'dash' | 'solara' | 'gradio') => (): KindSet[] =>
  hostSets().filter((set) => set.host === family).map((set) => ({ name: set.name, setup: () => setupHostSet(set) }))

const WIDGET = { built: widgetExists, needs: 'widget/ (the ws-bridge-widget distribution)' }
const NOTEBOOKS = { target: (scratch: string) => scratch, twice: 'in two cells' }
const V2_MODULE = resolve('python/streamlit_ws_bridge/frontend/build/v2.js')
const DASH_SCRIPT = resolve('dash_component/ws_bridge_dash/static/bridge.js')
const GRADIO_SCRIPT = resolve('gradio_component/ws_bridge_gradio/static/bridge.js')

export const KINDS: Record<HostKind, Kind> = {
  jupyterlab: { sets: anywidgetSets('jupyter'), ...WIDGET, ...NOTEBOOKS },
  voila: { sets: anywidgetSets('jupyter'), ...WIDGET, ...NOTEBOOKS },
  marimo: { sets: anywidgetSets('marimo'), ...WIDGET, target: () => resolve('test/hosts/apps/marimo_app.py'), twice: 'once (one cell)' },
  solara: { sets: anywidgetSets('solara'), ...WIDGET, target: () => resolve('test/hosts/apps/solara_app.py'), twice: 'once (one solara.display)' },
  streamlit: {
    // Pinned oldest first (test/streamlit/versions.test.ts checks it): the last is the newest.
    sets: () => matrixVersions().slice(-1).map(({ version }: { version: string }) => ({ name: version, setup: () => setupVersion(version) })),
    built: () => existsSync(V2_MODULE),
    needs: 'the component built (' + V2_MODULE + ', npm run build)',
    target: () => resolve('test/hosts/apps/streamlit_host_app.py'),
    // One ws_bridge per room per page is the component's documented rule: a second call for the room is not a use to show.
    twice: 'once (one ws_bridge per room per page)',
  },
  // Its own family in versions.json (its venv holds dash_component/, not widget/); `python app.py`.
  dash: {
    sets: anywidgetSets('dash'),
    built: () => existsSync(DASH_SCRIPT),
    needs: 'the Dash script built (' + DASH_SCRIPT + ', npm run build)',
    target: () => resolve('test/hosts/apps/dash_host_app.py'),
    // Dash ids are unique in a page: one bridge component per room per page.
    twice: 'once (one DashBridge component per page)',
  },
  gradio: {
    // Its own family in test/hosts/versions.json (gradio_component/ in each venv), oldest and newest.
    sets: anywidgetSets('gradio'),
    built: () => existsSync(GRADIO_SCRIPT),
    needs: 'the Gradio component built (' + GRADIO_SCRIPT + ', npm run build)',
    target: () => resolve('test/hosts/apps/gradio_app.py'),
    twice: 'in two WsBridge components of the room',
  },
}
