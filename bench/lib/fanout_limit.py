"""Row 10's limit: the least a Python server on our stack can do per delivery.

The same uvicorn, configured by the same `run()` (websockets-sansio, no deflate), and
the same frame builder and transport lookup as the bridge (`live/direct.py`), but
nothing else: no store, no ids, no rooms, no outbox, no checks. `POST /publish` takes
the frame's text as its body, builds the frame once and writes it to every socket's
transport. What our server spends beyond this is the bridge's own Python.

    python bench/lib/fanout_limit.py --port 0     # prints READY http://127.0.0.1:<port>
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from ws_bridge_server.live.direct import DirectWriter, find_for, text_frame
from ws_bridge_server.run import cli_parser, run

writers: set[DirectWriter] = set()


async def socket(ws: WebSocket) -> None:
    await ws.accept()
    writer = find_for(ws)
    if writer is None:  # then this would measure the ASGI path, not the limit: refuse to run
        await ws.close(1011, "no direct writer")
        raise RuntimeError("uvicorn's transport is not reachable: the limit cannot be measured")
    writers.add(writer)
    try:
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        writers.discard(writer)


async def publish(request: Request) -> Response:
    frame = text_frame(await request.body())
    for writer in writers:
        writer.write(frame)
    return Response(status_code=204)


def main() -> None:
    args = cli_parser("row 10's limit: one prebuilt frame written to every socket's transport").parse_args()
    app = Starlette(routes=[WebSocketRoute("/ws", socket), Route("/publish", publish, methods=["POST"])])
    run(app, [], args.host, args.port, args.log_level)


if __name__ == "__main__":
    main()
