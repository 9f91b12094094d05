// The delivery contract in Dash (test/hosts/suite.ts), oldest and newest pinned Dash 4.x:
// `python test/hosts/apps/dash_host_app.py` from the set's venv (dash_component/ installed).
// Each page load is a new page with no server session: once per browser tab, across reloads.
import { hostSuite } from './suite'

hostSuite('dash')
