"""Running the ratings service with uvicorn: in the foreground (``python build.py ratings``)
or in a thread beside the preview server (``serve``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import uvicorn

from portal.ratings.app import create_app
from portal.ratings.settings import PREFIX, RatingsSettings

STARTUP_SECONDS = 10.0


def make_server(settings: RatingsSettings, app: Any = None) -> uvicorn.Server:
    """``app`` defaults to :func:`create_app` of ``settings`` (callers may wrap it)."""
    config = uvicorn.Config(app or create_app(settings), host=settings.host, port=settings.port,
                            proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
                            log_level="warning", access_log=False, server_header=False,
                            lifespan="off")
    return uvicorn.Server(config)


def run(settings: RatingsSettings) -> None:
    """Serve until interrupted (Ctrl+C, SIGTERM)."""
    make_server(settings).run()


@dataclass
class RunningService:
    url: str
    """Where the API answers, e.g. ``http://127.0.0.1:8001/api/ratings/``."""
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_SECONDS)


def start_in_thread(settings: RatingsSettings, app: Any = None) -> RunningService:
    """Start the service in a daemon thread and return once it accepts connections
    (``settings.port`` 0 picks a free port; ``url`` tells which). Raises OSError when it
    cannot listen."""
    server = make_server(settings, app)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run()
        except BaseException as exc:  # SystemExit when uvicorn cannot bind
            failure.append(exc)

    thread = threading.Thread(target=serve, name="ratings-service", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.02)
    if not server.started:
        raise OSError(f"the ratings service could not listen on {settings.host}:"
                      f"{settings.port}" + (f" ({failure[0]})" if failure else ""))
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return RunningService(f"http://{host}:{port}{PREFIX}", server, thread)
