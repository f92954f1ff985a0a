"""Arguments shared by `up`, `down` and `status`: which platform, which state directory."""
from __future__ import annotations

import sys
from pathlib import Path

from .. import config as config_module
from .host_commands import FabricError
from .state import DEFAULT_STATE_DIR


def add(parser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="platform YAML (default: the one the running site was brought up "
                             "with, else the packaged default-site.yml)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help=f"where PIDs, VLAN membership, keys and the API database live "
                             f"(default {DEFAULT_STATE_DIR})")


def fabric_for(args):
    """A LiveFabric for the arguments, or None after printing why not."""
    from .live import LiveFabric
    from .state import FabricState
    config = args.config or FabricState(args.state_dir).config_path()
    try:
        return LiveFabric(config_module.load(config), args.state_dir,
                          boot_timeout=getattr(args, "boot_timeout", 60.0))
    except config_module.ConfigError as exc:
        print(f"g5k-emulator: {exc}", file=sys.stderr)
        return None


ERRORS = (FabricError, RuntimeError, ValueError, KeyError, OSError)


def run_on_fabric(args, command: str, action) -> int:
    """Build the fabric from the arguments and run `action(fabric)`; failures become one line
    on stderr and exit status 1 (2 for a bad configuration)."""
    fabric = fabric_for(args)
    if fabric is None:
        return 2
    try:
        action(fabric)
    except ERRORS as exc:
        print(f"g5k-emulator {command}: {exc}", file=sys.stderr)
        return 1
    return 0
