"""`g5k-emulator`: the emulated Grid'5000 site's command line.

Each subcommand lives in its own module exposing HELP, add_arguments(parser) and run(args) -> int.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    # name: module
    "image": "g5k_emulator.fabric.image_command",
    "serve": "g5k_emulator.serve_command",
    "up": "g5k_emulator.fabric.up_command",
    "down": "g5k_emulator.fabric.down_command",
    "status": "g5k_emulator.fabric.status_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="g5k-emulator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
