"""`provguard verify`: checks a filter attestation's signature and the digests of the files it names."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from provguard.printable import say

from .common import EXIT_CLEAN, EXIT_FINDINGS, add_parser, usage_error


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "verify", "check an attestation written by provguard filter --attest: its "
                        "signature and the SHA-256 of every output, input, policy file and project configuration it "
                        "names")
    parser.add_argument("attestation", type=Path, metavar="FILE", help="the statement (its signature: FILE.sig)")
    parser.add_argument("--key", type=Path, metavar="PUB",
                        help="SSH public key that must have signed it (default: the signature is only checked to be "
                        "intact, whoever made it; an unsigned statement is accepted)")
    parser.add_argument("--remote", action="store_true",
                        help="also read the remote files (s3://, gs://, ...) the statement names, with this "
                        "environment's credentials; off by default: the statement says where to connect")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when everything matches, 1 when something differs (each difference on its own line), 2 when the
    statement cannot be read or checked at all."""
    from provguard.corpus.attestation import AttestationError
    from provguard.corpus.attestation_check import verify

    try:
        result = verify(args.attestation, args.key, args.remote)
    except AttestationError as exc:
        return usage_error(str(exc))
    for difference in result.differences:
        say(f"{args.attestation}: {difference}")
    files = f"{result.files} {'file' if result.files == 1 else 'files'}"
    if result.differences:
        count = len(result.differences)
        say(f"{args.attestation}: FAILED, {count} {'difference' if count == 1 else 'differences'}"
            f" (signature {result.signature}; {files} named)", "provguard verify")
        return EXIT_FINDINGS
    say(f"{args.attestation}: OK (signature {result.signature}; {files} match their digests)", "provguard verify")
    return EXIT_CLEAN
