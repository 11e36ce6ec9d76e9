"""`edxml-gateway agency`. (stub: to be implemented)"""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
