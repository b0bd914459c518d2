"""`provguard rules`: validate rule packs and list their rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_CLEAN, EXIT_USAGE, add_parser, project_policy


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "rules", "validate rule packs and list their rules")
    parser.add_argument("packs", nargs="*", metavar="PACK", help="default: the project's packs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    loaded = project_policy(Path.cwd(), args.packs, {})
    for error in loaded.errors:
        print(f"provguard: {error}", file=sys.stderr)
    for pack in loaded.policy.packs:
        print(f"{pack.id} {pack.version} ({pack.source})")
        for rule in pack.rules:
            print(f"  {rule.id} [{rule.severity.value}] {rule.note or ''}".rstrip())
    return EXIT_USAGE if loaded.errors else EXIT_CLEAN
