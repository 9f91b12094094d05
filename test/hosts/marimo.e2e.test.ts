// The delivery contract in `marimo run` (test/hosts/suite.ts), oldest and newest pinned sets:
// mo.ui.anywidget(WsBridge). Each page load is a new session: once per browser tab, across reloads.
import { hostSuite } from './suite'

hostSuite('marimo')
