"""`g5k-emulator serve`: the emulated site's REST API on 127.0.0.1 (uvicorn + FastAPI).

Once listening it prints exactly one line to stdout, `g5k-emulator: serving http://HOST:PORT/stable`
(flushed); SIGTERM or SIGINT stop it cleanly. `--port 0` picks a free port.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys

HELP = "serve the emulated Grid'5000 REST API (API only; --fabric drives containers and bridges)"
DEFAULT_STATE_DIR = "/var/lib/g5k-emulator"


def default_state_dir() -> str:
    return os.environ.get("G5K_EMULATOR_STATE") or DEFAULT_STATE_DIR


def add_arguments(parser) -> None:
    parser.add_argument("--config", help="platform description (YAML); default: the packaged default-site.yml")
    parser.add_argument("--state-dir", default=None,
                        help=f"where state is kept (default: $G5K_EMULATOR_STATE or {DEFAULT_STATE_DIR})")
    parser.add_argument("--host", default=None, help="address to listen on (default: the config's api.host)")
    parser.add_argument("--port", type=int, default=None,
                        help="port to listen on (default: the config's api.port; 0 picks a free one)")
    parser.add_argument("--fabric", action="store_true",
                        help="drive the real fabric (containers, bridges, DHCP); needs root and podman")


def _fabric(args, config, state_dir):
    if not args.fabric:
        from .fabric_protocol import NoFabric
        return NoFabric()
    from .fabric.live import LiveFabric  # imported only when asked: it needs podman and root
    return LiveFabric(config, state_dir)


def run(args) -> int:
    import uvicorn

    from .app import create_app
    from .config import ConfigError, load
    from .emulated_platform import Platform

    logging.basicConfig(level=logging.INFO, format="g5k-emulator: %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"g5k-emulator: invalid configuration: {exc}", file=sys.stderr)
        return 2
    state_dir = args.state_dir or default_state_dir()
    host = args.host or config.host
    port = config.port if args.port is None else args.port
    try:
        fabric = _fabric(args, config, state_dir)
        platform = Platform(config, state_dir, fabric)
    except Exception as exc:  # noqa: BLE001 - report any start-up failure in one line
        print(f"g5k-emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"g5k-emulator: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if family == socket.AF_INET6 else host

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:
                print(f"g5k-emulator: serving http://{shown_host}:{bound_port}/stable", flush=True)

    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handlers
    # that were in place before: make those no-ops so a requested stop exits with status 0.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    server = AnnouncingServer(uvicorn.Config(create_app(platform), log_level="warning",
                                             lifespan="on", access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        platform.store.close()
    return 0
