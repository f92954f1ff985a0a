"""`g5k-emulator image build [--force]`: build the node image if it is missing."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from . import image
from .host_commands import FabricError
from .podman import Podman
from .state import DEFAULT_STATE_DIR

HELP = f"build the node image {image.NODE_IMAGE} (mmdebstrap | podman import) if missing"


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["build"], help="build: make the image")
    parser.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help=f"where the generated containers.conf goes (default {DEFAULT_STATE_DIR})")


def run(args) -> int:
    start = time.monotonic()
    try:
        built = image.build(Podman(args.state_dir), force=args.force)
    except FabricError as exc:
        print(f"g5k-emulator image: {exc}", file=sys.stderr)
        return 1
    if built:
        print(f"built {image.NODE_IMAGE} in {time.monotonic() - start:.0f} s")
    else:
        print(f"{image.NODE_IMAGE} already present (use --force to rebuild)")
    return 0
