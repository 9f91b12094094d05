// The delivery contract in Solara (test/hosts/suite.ts): `solara run` of test/hosts/apps/solara_app.py,
// the WsBridge shown as an ipywidget. Each page load is a new virtual kernel: the contract is once
// per browser tab, across reloads. The pinned set is Solara 1.58.2 with solara-assets 1.58.2: Solara
// loads its page app and require.js from a CDN (through its /_solara/cdn proxy), and solara-assets,
// newest 1.58.2, is what serves them without internet; Solara 1.64 asks for an app version
// (@widgetti/solara-vuetify3-app@5.2.0) no solara-assets release carries, so offline its page stays blank.
import { hostSuite } from './suite'

hostSuite('solara')
