// Each host's wheel as a user installs it beside its host: the anywidget's (ws-bridge-widget) beside
// Voilà and marimo, the Dash component's (ws-bridge-dash) beside Dash, the Gradio component's
// (ws-bridge-gradio) beside Gradio. For the newest pinned set of
// every host family (test/hosts/versions.json), a fresh venv in a temporary directory,
// `pip install <wheel> <the set's pins>` constrained by the set's frozen versions
// (test/hosts/constraints/), no -e and nothing of the repository on the path. Then the host's
// example from examples/ runs from that venv against the real example server, in real Chromium:
// the page connects, a chat line is posted to the server, and the example's own Python shows it.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostSets } from '../../scripts/setup-hosts.mjs'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { GAME_PYTHON } from '../hosts/contract'
import { type Host, type HostKind, startHost } from '../hosts/hosts'
import { openTab, pageUrl, printTabs, type Tab } from '../hosts/pages'
import { type Proc, startGameServer } from '../streamlit/processes'
import { type Artifacts, ROOT, checkBuilt, checkExampleServerVenv, packInto, runIn, scratchDir } from './artifacts'

// What a user's shell would not have pointing into this repository.
const CLEAN_ENV: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, VIRTUAL_ENV: undefined, PYTHONNOUSERSITE: '1' }
// Over test/hosts' host environment: no test apps on the path, no test log, the example's server.
const HOST_ENV = { PYTHONPATH: undefined, PYTHONHOME: undefined, VIRTUAL_ENV: undefined, PYTHONNOUSERSITE: '1', WSB_HOST_CONFIG: undefined, WSB_HOST_LOG: undefined }
const log = (line: string) => console.log('[release host wheels] ' + line)
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1) + ' s'

/** Each family's wheel (its distribution and import names) and example: which host serves it, the file to copy, what the host is given. */
interface Example {
  wheel: (packed: Artifacts) => string
  distribution: string
  module: string
  kind: HostKind
  example: string
  serve: (dir: string, file: string) => string
  /** Resolves once the example's page shows `line`. */
  shows?: (page: Page, line: string) => Promise<unknown>
}
const WIDGET = { wheel: (packed: Artifacts) => packed.widgetWheel, distribution: 'ws-bridge-widget', module: 'ws_bridge_widget' }
const EXAMPLES: Record<string, Example> = {
  // Voilà serves a folder (/voila/render/chat.ipynb); marimo and Dash serve the app file itself.
  jupyter: { ...WIDGET, kind: 'voila', example: 'examples/notebook/chat.ipynb', serve: (dir) => dir },
  marimo: { ...WIDGET, kind: 'marimo', example: 'examples/marimo/app.py', serve: (_dir, file) => file },
  dash: { wheel: (packed) => packed.dashWheel, distribution: 'ws-bridge-dash', module: 'ws_bridge_dash', kind: 'dash', example: 'examples/dash/app.py', serve: (_dir, file) => file },
  gradio: {
    wheel: (packed) => packed.gradioWheel, distribution: 'ws-bridge-gradio', module: 'ws_bridge_gradio', kind: 'gradio', example: 'examples/gradio_app.py',
    serve: (_dir, file) => file,
    // The example writes the chat into a textbox: its value, not the page's text.
    shows: (page, line) => expect.poll(() => page.locator('textarea').first().inputValue(), { timeout: 60000 }).toContain(line),
  },
}

/** The newest pinned set of each family (hostSets() lists them oldest first). */
const newest = () => Object.keys(EXAMPLES).map((family) => hostSets().filter((set) => set.host === family).pop()).filter((set) => set !== undefined)

/** A fresh venv at `venv` holding the wheel and the pins, with the set's constraints; the seconds it took. */
function install(appDir: string, venv: string, wheel: string, pins: Record<string, string>, constraints: string): string {
  const since = Date.now()
  runIn(appDir, process.env.PYTHON || 'python3', ['-m', 'venv', venv], CLEAN_ENV)
  // --no-compile, as scripts/setup-hosts.mjs: compiling JupyterLab's tree up front is most of an
  // install's time, and the host compiles what it imports anyway.
  runIn(appDir, join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-compile',
    '-c', constraints, wheel, ...Object.entries(pins).map(([name, version]) => name + '==' + version)], CLEAN_ENV)
  return seconds(since)
}

describe.skipIf(!checkChromium('host wheels') || !checkBuilt('host wheels') || !checkExampleServerVenv('host wheels'))('each host wheel, installed beside its host in a fresh venv', () => {
  let dir = ''
  let packed: Artifacts
  let browser: Browser

  beforeAll(async () => {
    dir = scratchDir('wsb-release-hosts-')
    packed = packInto(join(dir, 'out'))
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  }, 120000)

  afterAll(async () => {
    await browser?.close().catch(() => {})
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60000)

  for (const set of newest()) {
    const { kind, example, serve, distribution, module } = EXAMPLES[set.host]
    const label = kind + ' ' + set.pins[kind] + ' (' + set.name + ')'

    describe(label, () => {
      let base = ''
      let venv = ''
      let installed = ''
      let game: Proc & { url: string }
      let host: Host | undefined
      let tab: Tab | undefined

      beforeAll(() => {
        base = join(dir, set.name)
        venv = join(base, 'venv')
        mkdirSync(join(base, 'app'), { recursive: true })
        installed = install(join(base, 'app'), venv, EXAMPLES[set.host].wheel(packed), set.pins, join(ROOT, 'test', 'hosts', 'constraints', set.name + '.txt'))
      }, 600000)

      afterAll(async () => {
        await tab?.page.context().close().catch(() => {})
        await Promise.all([host?.stop(), game?.stop()])
      }, 60000)

      it('holds the wheel and the pinned host, nothing from the repository, and imports the component from the venv', () => {
        const python = join(venv, 'bin', 'python')
        const freeze = runIn(join(base, 'app'), python, ['-m', 'pip', 'freeze', '--all'], CLEAN_ENV).split('\n').filter(Boolean)
        expect(freeze.filter((line) => line.includes(ROOT) || line.startsWith('-e ') || line.startsWith('# Editable'))).toEqual([])
        expect(freeze.some((line) => line.startsWith(distribution + ' @ file://' + join(dir, 'out')))).toBe(true)
        for (const [name, version] of Object.entries(set.pins)) expect(freeze).toContain(name + '==' + version)
        const where = runIn(join(base, 'app'), python, ['-c', 'import ' + module + '; print(' + module + '.__file__)'], CLEAN_ENV)
        expect(where.trim().startsWith(join(venv, 'lib'))).toBe(true)
        installed += ' (' + freeze.length + ' packages)'
      })

      it("runs the host's example: connected, and a chat line posted to the server shown by the example's Python", async () => {
        const served = join(base, 'served')
        mkdirSync(served)
        const file = join(served, example.split('/').pop() as string)
        copyFileSync(join(ROOT, example), file)
        game = await startGameServer(join(ROOT, GAME_PYTHON), 0)
        const files = { config: join(base, 'unused-config.json'), log: join(base, 'unused-log.jsonl') }
        const started = Date.now()
        host = await startHost(kind, join(venv, 'bin'), serve(served, file), base, files, { ...HOST_ENV, WS_BRIDGE_SERVER: game.url })
        const up = seconds(started)
        const opened = Date.now()
        tab = await openTab(browser, kind, pageUrl(host, 'chat.ipynb'))
        try {
          await tab.page.getByText('🟢 Connected').first().waitFor({ timeout: 120000 })
          const connected = seconds(opened)
          const posted = Date.now()
          const response = await fetch(game.url + '/rooms/lobby/messages', {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ player: 'bob', text: 'hi' }),
          })
          expect(response.ok).toBe(true)
          const shows = EXAMPLES[set.host].shows || ((page: Page, line: string) => page.getByText(line, { exact: true }).first().waitFor({ timeout: 60000 }))
          await shows(tab.page, 'bob: hi')
          // One line per host: the install, then what the page showed.
          log(label + ': fresh venv + pip install ' + EXAMPLES[set.host].wheel(packed).split('/').pop() + ' ' + Object.keys(set.pins).join(' ') + ': ' + installed +
            '; ' + example + ' served in ' + up + '; page open -> 🟢 Connected ' + connected +
            '; POST -> "bob: hi" shown by the example ' + (Date.now() - posted) + ' ms; page errors ' + JSON.stringify(tab.errors))
        } catch (err) {
          await printTabs('release-' + kind, [tab], [{ name: kind, output: host.output }, { name: 'the example server', output: game.output }])
          throw err
        }
      }, 240000)
    })
  }
})
