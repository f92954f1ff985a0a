"""`g5k-emulator up`: build the image if missing, wire the site, start nodes and the API."""
from __future__ import annotations

import time

from . import site_arguments

HELP = "bring up the emulated site (idempotent): image, bridges, DHCP, node containers, API"


def add_arguments(parser) -> None:
    site_arguments.add(parser)
    parser.add_argument("--no-api", action="store_true", help="wire the fabric only, no API server")
    parser.add_argument("--boot-timeout", type=float, default=60.0,
                        help="seconds to wait for every node's sshd (default 60)")


def run(args) -> int:
    start = time.monotonic()

    def up(fabric) -> None:
        fabric.up(config_path=args.config, api=not args.no_api)
        print(f"up in {time.monotonic() - start:.1f} s")
    return site_arguments.run_on_fabric(args, "up", up)
