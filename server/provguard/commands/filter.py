"""`provguard filter`: a JSONL corpus written back without flagged samples, or with flagged code redacted."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provguard.ledger.location import ledger_source, read_ledger
from provguard.policy.model import Severity
from provguard.printable import printable, say

from .common import (
    EXIT_CLEAN,
    EXIT_USAGE,
    add_parser,
    add_policy_arguments,
    flagged_policy,
    parse_overrides,
    root_error,
    usage_error,
)

if TYPE_CHECKING:
    from provguard.corpus.attestation import ConfigIdentity, FilterFacts, LedgerIdentity
    from provguard.corpus.judge import Judge
    from provguard.corpus.side_report import Counts

MAX_BAD_LINES_SHOWN = 20
LEVELS = ("error", "warning", "info", "hint")


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "filter", "write a JSONL corpus back without samples the rule packs flag "
                        "(or with their flagged code redacted)")
    parser.add_argument("input", nargs="?", default="-", metavar="INPUT",
                        help="JSONL corpus, one sample per line; .gz and .zst are read compressed; - for stdin "
                        "(default)")
    parser.add_argument("output", nargs="?", default="-", metavar="OUTPUT",
                        help="where the kept samples go; .gz and .zst are written compressed; - for stdout (default)")
    parser.add_argument("--code-field", default="content", metavar="NAME", help="field holding the code "
                        "(default: content)")
    parser.add_argument("--path-field", metavar="NAME", help="field holding the sample's original path")
    parser.add_argument("--language-field", metavar="NAME", help="field holding the sample's language")
    parser.add_argument("--redact", action="store_true",
                        help="replace flagged code with a placeholder comment instead of dropping the sample")
    parser.add_argument("--on-bad-line", choices=("pass", "drop"), default="pass",
                        help="what to do with lines that are not samples (default: pass them through)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="side report (JSON Lines): every dropped, redacted or bad line and why, then counts")
    parser.add_argument("--workers", type=int, default=_cores(), metavar="N",
                        help=f"worker processes of the local engine (default: the cores available, {_cores()})")
    parser.add_argument("--as", dest="placements", action="append", metavar="PATH",
                        help="judge every sample as placed at this corpus path too; repeatable (default: OUTPUT, "
                        "else INPUT, without .gz or .zst, else corpus.jsonl)")
    parser.add_argument("--min-severity", choices=LEVELS, default="error",
                        help="findings at or above this severity flag a sample (default: error)")
    parser.add_argument("--max-sample-bytes", type=int, default=64 << 20, metavar="N",
                        help="longer lines are dropped and reported unread (default: 64 MiB)")
    add_policy_arguments(parser)
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="project root that pack path globs are relative to (default: .)")
    parser.add_argument("--ledger", metavar="FILE|URL",
                        help="also judge what this ledger knows: copies of recorded agent edits, and spans "
                        "recorded for a sample's path (with --path-field)")
    parser.add_argument("--snapshot", type=Path, metavar="FILE",
                        help="judge by a policy snapshot (provguard export --snapshot) instead of the project's "
                        "packs; not with --pack, --severity or --ledger")
    parser.add_argument("--attest", type=Path, metavar="FILE",
                        help="write an in-toto attestation of the run: the output files and their SHA-256 digests, "
                        "the inputs, the policy, the ledger and the counts (check it with provguard verify FILE)")
    parser.add_argument("--sign-key", type=Path, metavar="PRIVATE_KEY",
                        help="with --attest: sign the attestation with this SSH key (ssh-keygen -Y sign), "
                        "writing FILE.sig beside it")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: worker processes on this machine (default); ray: a Ray Data stage, INPUT and "
                        "OUTPUT being files or folders, local or any URI pyarrow reads (needs provguard[ray])")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="Ray cluster to run on: host:port, ray://host:port, or auto for the one `ray start` "
                        "runs here (default: RAY_ADDRESS, else a local cluster on loopback, started for the run)")
    parser.add_argument("--ray-connect-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="with --ray-address or RAY_ADDRESS: give up when the cluster does not answer within "
                        "this time (default: 30)")
    parser.add_argument("--ray-runtime-env", metavar="JSON|FILE",
                        help="with --engine ray: Ray's runtime_env for the run, a JSON object or a file holding one, "
                        "such as '{\"pip\": [\"provguard[ray]\"]}' for a cluster whose image lacks provguard")
    parser.add_argument("--ray-pass-env", metavar="NAME,...",
                        help="with --engine ray: set these variables of this environment in the judging actors "
                        "too, such as AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY; sent with the actors, never printed, "
                        "nor put in the runtime_env (which Ray writes to its logs)")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="with --engine ray: judging actors (default: the cluster's CPUs)")
    parser.add_argument("--batch-rows", type=int, default=1024, metavar="N",
                        help="with --engine ray: Parquet rows judged per call (default: 1024)")
    parser.set_defaults(run=run)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run(args: argparse.Namespace) -> int:
    from provguard.corpus.pipeline import FilterConfig, OnBadLine
    from provguard.corpus.run import FilterRun, StreamError, corpus_placement
    from provguard.corpus.samples import Fields

    overrides = parse_overrides(args.severity)
    if isinstance(overrides, str):
        return usage_error(overrides)
    if args.workers < 1 or args.max_sample_bytes < 1:
        return usage_error("--workers and --max-sample-bytes must be at least 1")
    if not args.code_field:
        return usage_error("--code-field must name a field")
    if (wrong_root := root_error(args.root)) is not None:
        return usage_error(wrong_root)
    if (wrong_attest := attest_error(args)) is not None:
        return usage_error(wrong_attest)
    if args.engine == "ray":
        from .filter_ray import run_ray

        return run_ray(args, overrides)
    if args.input != "-" and not Path(args.input).is_file():
        return usage_error(f"no such file: {args.input}")
    if args.output != "-" and Path(args.output).exists() and args.input != "-" \
            and Path(args.output).samefile(args.input):
        return usage_error(f"OUTPUT is INPUT ({args.input}): writing would destroy the corpus before it is read")
    placements = tuple(args.placements or (corpus_placement(args.input, args.output, args.root),))
    judge = _judge(args, overrides, placements)
    if isinstance(judge, str):
        return usage_error(judge)
    if judge is None:
        return EXIT_USAGE
    config = FilterConfig(judge, Fields(args.code_field, args.path_field, args.language_field),
                          OnBadLine(args.on_bad_line), args.max_sample_bytes)
    ledger: LedgerIdentity | None = None
    if args.attest is not None and args.ledger is not None:  # the generation the run judges against, read first
        from provguard.corpus.attestation import ledger_identity

        found = ledger_identity(args.ledger, args.root)
        if isinstance(found, str):
            return usage_error(found)
        ledger = found
    config_file: ConfigIdentity | None = None
    if args.attest is not None and args.snapshot is None:  # the configuration as the policy was read from it
        from provguard.corpus.attestation import AttestationError, config_identity

        try:
            config_file = config_identity(args.root)
        except AttestationError as exc:
            return usage_error(str(exc))
    name = "<stdin>" if args.input == "-" else printable(args.input)  # shown only: bad lines are said with it
    filtering = FilterRun(config, args.workers, name, MAX_BAD_LINES_SHOWN, hashed=args.attest is not None)
    try:
        counts = filtering.run(args.input, args.output, args.report)
    except StreamError as exc:
        return usage_error(str(exc))
    print(f"provguard filter: {counts.summary()}", file=sys.stderr)
    if args.attest is not None:
        return _attest_local(args, judge, counts, ledger, filtering.streamed.digests(), config_file)
    return EXIT_CLEAN


def attest_error(args: argparse.Namespace) -> str | None:
    """What is wrong with --attest and --sign-key, checked before filtering: a run is not wasted on a typo."""
    if args.attest is None:
        return "--sign-key goes with --attest FILE" if args.sign_key is not None else None
    if args.input == "-" or args.output == "-":
        return "--attest needs INPUT and OUTPUT to be files: an attestation names them and their digests"
    if args.sign_key is not None and not args.sign_key.is_file():
        return f"no such key file: {args.sign_key}"
    if args.sign_key is not None:
        from provguard.corpus.attestation import AttestationError, ssh_keygen

        try:
            ssh_keygen()
        except AttestationError as exc:
            return str(exc)
    return None


def _attest_local(args: argparse.Namespace, judge: Judge, counts: Counts, ledger: LedgerIdentity | None,
                  digests: dict[str, str], config: ConfigIdentity | None) -> int:
    """The statement of a one-machine run, the input and output named by the digests they had as they streamed."""
    from provguard.corpus.attestation import FilterFacts, policy_identity, snapshot_ledger
    from provguard.corpus.snapshot import SnapshotError, open_snapshot

    try:
        if args.snapshot is not None:
            snapshot = open_snapshot(args.snapshot)
            policy, ledger = policy_identity(snapshot.policy, snapshot), snapshot_ledger(snapshot)
        else:
            policy = policy_identity(judge.policy)
    except SnapshotError as exc:
        return usage_error(str(exc))
    facts = FilterFacts("local", (args.input,), (args.output,), policy, ledger, counts, attested_settings(args),
                        digests, config)
    return write_statement(args, facts)


def attested_settings(args: argparse.Namespace) -> dict[str, object]:
    """The flags that change what is kept, as the statement records them (the same for both engines)."""
    return {"redact": args.redact, "minSeverity": args.min_severity, "onBadLine": args.on_bad_line,
            "placements": list(args.placements or []), "codeField": args.code_field, "pathField": args.path_field,
            "languageField": args.language_field}


def write_statement(args: argparse.Namespace, facts: FilterFacts) -> int:
    from provguard.corpus.attestation import AttestationError, statement, write_attestation

    try:
        write_attestation(args.attest, statement(facts, args.attest), args.sign_key)
    except AttestationError as exc:
        return usage_error(str(exc))
    signed = f", signed ({args.attest}.sig)" if args.sign_key is not None else ""
    say(f"attestation {args.attest}{signed}", "provguard filter")
    return EXIT_CLEAN


def _judge(args: argparse.Namespace, overrides: dict[str, Severity], placements: tuple[str, ...]) -> Judge | str | None:
    """The judge the flags ask for: from a snapshot, or from the project's packs (and ledger); an error
    message, or None once the policy's own errors are printed."""
    from provguard.corpus.judge import Judge
    from provguard.corpus.ledger_spans import RecordedSpans
    from provguard.corpus.snapshot import SnapshotError

    if args.snapshot is not None:
        given = [flag for flag, value in (("--pack", args.packs), ("--severity", args.severity),
                                          ("--ledger", args.ledger)) if value]
        if given:
            return f"{', '.join(given)} cannot be used with --snapshot: the snapshot holds the policy and the ledger"
        try:
            return Judge.from_snapshot(args.snapshot, placements, Severity(args.min_severity), args.redact)
        except SnapshotError as exc:
            return str(exc)
    if args.ledger is not None:  # opened once to fail early with a clear message; each worker opens its own
        ledger = read_ledger(args.ledger, args.root)
        if isinstance(ledger, str):
            return ledger
        if ledger is not None:
            ledger.close()
    policy = flagged_policy(args.root, args.packs, overrides)
    if policy is None:
        return None
    return Judge(policy, placements, Severity(args.min_severity), args.redact,
                 RecordedSpans(ledger_source(args.ledger, args.root) or "") if args.ledger is not None else None)
