"""A throwaway anywidget that checks a host's channel both ways (test/hosts/probe.e2e.test.ts).

On render the front end sends ``{"ping": n}`` (custom message, JS -> Python). Python answers
with a trait (``label``, Python -> JS) and a custom message ``{"pong": n}`` (Python -> JS);
the front end then sets the ``count`` trait (JS -> Python). The page shows what arrived
(``.wsb-probe`` text and data attributes), Python logs what arrived (wsb_host_app.log).
"""

from __future__ import annotations

import anywidget
import traitlets

from wsb_host_app import log


class Probe(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const span = document.createElement('span')
        span.className = 'wsb-probe'
        span.textContent = 'probe rendered'
        el.appendChild(span)
        const show = () => { span.dataset.label = model.get('label') }
        model.on('change:label', show)
        show()
        model.on('msg:custom', (msg) => {
          span.dataset.pong = String(msg.pong)
          span.textContent = 'pong ' + msg.pong
          model.set('count', msg.pong)
          model.save_changes()
        })
        model.send({ ping: 1 })
      }
    }
    """
    count = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)

    def __init__(self) -> None:
        super().__init__()
        self.on_msg(self._on_ping)
        self.observe(lambda change: log("trait", name="count", value=change["new"]), names="count")

    def _on_ping(self, _widget: object, content: dict, _buffers: object) -> None:
        log("msg", content=content)
        n = int(content.get("ping", 0))
        self.label = "from-python-%d" % n
        self.send({"pong": n})
