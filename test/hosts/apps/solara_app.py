# The Solara app test/hosts/solara.e2e.test.ts serves with `solara run`: one wsb_host_app widget per
# page (a virtual kernel each), made once per session (use_memo) and shown as an ipywidget.
import solara

import wsb_host_app


@solara.component
def Page():
    bridge = solara.use_memo(wsb_host_app.make, dependencies=[])
    solara.display(bridge)
