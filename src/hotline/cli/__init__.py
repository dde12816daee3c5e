"""The `hotline` command.

Each command imports what it needs when it runs, not when this module loads: the web
framework, the database toolkit and Twilio's SDK take seconds to import, and
`hotline --help` or `hotline simulate ...` should answer at once.

A problem an operator can fix (a setting, an unreachable database, a key file) is
printed as one or two lines naming what to change, with exit status 2; a traceback
only with HOTLINE_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import os
import sys

from hotline.cli import people, service, simulate, translate
from hotline.cli.base import app

__all__ = ["app", "main", "people", "service", "simulate", "translate"]


def expand_press(argv: list[str]) -> list[str]:
    """`--press 2 1 0` as Typer reads it: `--press 2 --press 1 --press 0`."""
    expanded: list[str] = []
    pressing = False
    for argument in argv:
        if argument == "--press":
            pressing = True
            continue
        if argument.startswith("--"):
            pressing = False
        expanded.extend(["--press", argument] if pressing else [argument])
    return expanded


def main() -> None:
    """The `hotline` command."""
    os.umask(0o077)  # whatever the service writes, only its own user may read
    app(args=expand_press(sys.argv[1:]), prog_name="hotline")
