"""One notion of a copy: for the same text, path and ledger, every surface reports the same copies of recorded
agent edits (same lines, same edit, same strength and confidence as far as the surface shows them):
`provguard check --format json`, the editor (diagnostics and hover), `provguard export --format agent-trace`,
`provguard filter` (one machine and Ray) and `provguard guard` (which shows no lines: it must refuse the writes
and moves after which check reports a copy in training data).

The project is a real git repository with the default pack; Claude Code's edits are recorded the way users
record them (`provguard hook claude-code` with PostToolUse payloads), and files under data/train/ (where the
default pack's rival-ai-output-in-training-data applies) hold copies of them in several disguises.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from corpus_support import jsonl, provguard, read_jsonl
from git_support import Repo
from guard_support import decision, guard
from guard_support import payload as guard_payload
from lsp_support import SERVER, open_file, record_registrations, start
from provguard.documents import Document
from provguard.exchange.agent_trace_import import MIXED_CONFIDENCE
from provguard.languages import detect
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.matching import index_spans
from ray_support import start_ray
from snippet_support import DISGUISED, SNIPPET
from transcript_support import record_claude_write

RIVAL = "rival-ai-output-in-training-data"

PY_EDIT = SNIPPET

GO_EDIT = '''\
package retry

import (
	"context"
	"errors"
	"time"
)

// ErrGaveUp is returned when every attempt failed.
var ErrGaveUp = errors.New("retry: gave up")

// Do calls fn until it succeeds, the context ends, or attempts run out, doubling the wait each time.
func Do(ctx context.Context, attempts int, base time.Duration, fn func(context.Context) error) error {
	wait := base
	for attempt := 0; attempt < attempts; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var permanent *PermanentError
		if errors.As(err, &permanent) {
			return permanent.Err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		wait *= 2
		if wait > maxWait {
			wait = maxWait
		}
	}
	return ErrGaveUp
}

// PermanentError stops the retries at once.
type PermanentError struct{ Err error }

func (p *PermanentError) Error() string { return "permanent: " + p.Err.Error() }

func (p *PermanentError) Unwrap() error { return p.Err }

const maxWait = 30 * time.Second
'''

TS_EDIT = '''\
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (capacity <= 0) {
      throw new RangeError("capacity must be positive");
    }
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }
}
'''

SAMPLE_EDIT = '''\
import re

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def tokens(source):
    """Identifiers of a source text, in order, with their offsets."""
    found = []
    for match in WORD.finditer(source):
        if match.group(0) not in KEYWORDS:
            found.append((match.start(), match.group(0)))
    return found


KEYWORDS = frozenset({"def", "class", "return", "if", "else", "for", "while", "import"})
'''
"""Written by the agent straight into the training data."""

RECORDED = {"src/intervals.py": PY_EDIT, "pkg/retry/retry.go": GO_EDIT, "web/src/cache.ts": TS_EDIT,
            "data/train/samples/tokens.py": SAMPLE_EDIT}
"""What Claude Code wrote, by path, in this order (tool call ids toolu_parity_0, 1, ...)."""

COPIES = {
    # PY_EDIT moved to another file, below a person's code.
    "data/train/moved/intervals.py": '"""Helpers for the scheduling samples."""\n\nimport itertools\n\n\n'
                                     "def pairs(values):\n    return list(itertools.pairwise(values))\n\n\n"
                                     + PY_EDIT,
    # PY_EDIT renamed, re-indented into a class, its docstring replaced and a line added.
    "data/train/calendar.py": DISGUISED,
    # GO_EDIT's function renamed throughout, its type and constants too.
    "data/train/backoff.go": '''\
package client

import (
	"context"
	"errors"
	"time"
)

// WithBackoff retries call with exponential backoff.
func WithBackoff(c context.Context, tries int, first time.Duration, call func(context.Context) error) error {
	delay := first
	for i := 0; i < tries; i++ {
		e := call(c)
		if e == nil {
			return nil
		}
		var fatal *FatalError
		if errors.As(e, &fatal) {
			return fatal.Err
		}
		t := time.NewTimer(delay)
		select {
		case <-c.Done():
			t.Stop()
			return c.Err()
		case <-t.C:
		}
		delay *= 2
		if delay > ceiling {
			delay = ceiling
		}
	}
	return errExhausted
}
''',
    # An excerpt of GO_EDIT: its waiting part, inside a person's method.
    "data/train/excerpt.go": '''\
package poller

import "time"

func (p *Poller) pause(ctx context.Context) error {
	timer := time.NewTimer(p.wait)
	select {
	case <-ctx.Done():
		timer.Stop()
		return ctx.Err()
	case <-timer.C:
	}
	p.wait *= 2
	if p.wait > maxWait {
		p.wait = maxWait
	}
	return nil
}
''',
    # TS_EDIT renamed and re-indented to four spaces, a constructor argument added.
    "data/train/cache.ts": '''\
import { Clock } from "./clock";

export class RecentItems<Key, Item> {
    private readonly store = new Map<Key, Item>();

    constructor(private readonly limit: number, private readonly clock: Clock) {
        if (limit <= 0) {
            throw new RangeError("limit must be positive");
        }
    }

    get(key: Key): Item | undefined {
        const item = this.store.get(key);
        if (item === undefined) {
            return undefined;
        }
        this.store.delete(key);
        this.store.set(key, item);
        return item;
    }

    set(key: Key, item: Item): void {
        this.store.delete(key);
        this.store.set(key, item);
        while (this.store.size > this.limit) {
            const oldest = this.store.keys().next().value as Key;
            this.store.delete(oldest);
        }
    }
}
''',
    # TS_EDIT partly edited: the constructor gone, get() counting hits, set() logging.
    "data/train/partial.ts": '''\
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  hits = 0;

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      return undefined;
    }
    this.hits += 1;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    console.debug("cached", key);
    while (this.entries.size > 64) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }
}
''',
    # The agent's own file in the training data, a person's edits in its middle.
    "data/train/samples/tokens.py": SAMPLE_EDIT.replace('    """Identifiers of a source text, in order, with their '
                                                        'offsets."""\n', "    # reviewed by hand\n"
                                                        "    source = source.strip()\n"),
}

PARAMS = list(COPIES)


# -- what each surface reports ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Copy:
    """A copy as check, the editor and the filter describe it."""

    first: int
    last: int
    """1-based lines."""
    edit: str | None
    """The recorded edit's tool call."""
    matched: str | None
    """Fingerprints shared with the edit, "shared/total" (none for lines found in the edit's own file)."""
    confidence: str
    """As a percentage: the editor's hover shows no more."""


def copy_of(first: int, last: int, origin: dict[str, Any]) -> Copy:
    extra = origin.get("extra", {})
    return Copy(first, last, extra.get("tool-call"), extra.get("matched"), f"{origin['confidence']:.0%}")


def is_recorded_edit(origin: dict[str, Any] | None) -> bool:
    return origin is not None and origin["evidence"] in ("fingerprint", "hook")


Found = tuple[int, int, dict[str, Any]]
"""A copy as check's JSON and the filter's side report give it: first and last line (1-based), origin."""


@dataclass
class Surfaces:
    root: Path
    check: dict[str, list[Found]]
    check_messages: dict[str, set[str]]
    editor: dict[str, list[Copy]]
    export: dict[str, list[tuple[int, int, str, str]]]
    filter: dict[str, list[Found]]
    guard: dict[str, list[tuple[str, str, str]]]


def record_edits(root: Path) -> None:
    """Claude Code's PostToolUse hook, once per Write the agent made."""
    for n, (path, text) in enumerate(RECORDED.items()):
        record_claude_write(root, path, text, f"toolu_parity_{n}")


MOVED = {"data/train/moved/intervals.py": "src/helpers/intervals.py"}
"""Copies a person first kept elsewhere, which Codex then moves into the training data with a patch."""


def guard_answers(root: Path) -> dict[str, list[tuple[str, str, str]]]:
    """The agents' PreToolUse hooks asked about each copy, before any of them exists: Claude Code writing its
    text, and Codex moving a person's file holding it (MOVED). Each answer: (agent, decision, reason)."""
    answers: dict[str, list[tuple[str, str, str]]] = {}
    for path, text in COPIES.items():
        data = json.loads(guard_payload("claude-code-write-source.json", root))
        data["tool_input"] = {"file_path": str(root / path), "content": text}
        answers[path] = [("claude-code", *verdict("claude-code", guard("claude-code", json.dumps(data).encode(),
                                                                        cwd=root)))]
    for path, source in MOVED.items():
        patch = f"*** Begin Patch\n*** Update File: {source}\n*** Move to: {path}\n*** End Patch\n"
        data = json.loads(guard_payload("codex-patch-move-into-data.json", root))
        data["tool_input"] = {"command": patch}
        answers[path].append(("codex", *verdict("codex", guard("codex", json.dumps(data).encode(), cwd=root))))
    return answers


def verdict(agent: str, done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """The guard's decision and reason; ("allow", stderr) for a call let through."""
    if (done.returncode, done.stdout) == (0, ""):
        return "allow", done.stderr
    return decision(agent, done)


def checked(root: Path) -> tuple[dict[str, list[Found]], dict[str, set[str]]]:
    done = provguard(root, "check", *COPIES, "--format", "json", "--fail-on", "never")
    assert done.returncode == 0, done.stderr.decode()
    found: dict[str, list[Found]] = {path: [] for path in COPIES}
    messages: dict[str, set[str]] = {path: set() for path in COPIES}
    for finding in json.loads(done.stdout)["findings"]:
        if finding["rule"] == RIVAL and is_recorded_edit(finding["origin"]):
            found[finding["path"]].append((finding["range"]["start"]["line"], finding["range"]["end"]["line"],
                                           finding["origin"]))
            messages[finding["path"]].add(finding["message"])
    return {path: in_order(f) for path, f in found.items()}, messages


def in_order(found: list[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (f[0], f[1], repr(f[2])))


def exported(root: Path) -> dict[str, list[tuple[int, int, str, str]]]:
    """The AI ranges of the committed copies: (first, last, tool, contributor type)."""
    done = provguard(root, "export", "data/train", "--format", "agent-trace")
    assert done.returncode == 0, done.stderr.decode()
    record = json.loads(done.stdout)
    tools = record.get("metadata", {}).get("dev.provguard", {}).get("conversation_tools", {})
    out: dict[str, list[tuple[int, int, str, str]]] = {path: [] for path in COPIES}
    for file in record["files"]:
        for conversation, tool in zip(file["conversations"], tools[file["path"]], strict=True):
            for r in conversation["ranges"]:
                out[file["path"]].append((r["start_line"], r["end_line"], tool, conversation["contributor"]["type"]))
    return {path: sorted(ranges) for path, ranges in out.items()}


def corpus() -> bytes:
    return jsonl(*({"content": text, "path": path} for path, text in COPIES.items()))


def filter_reasons(report: list[dict[str, Any]]) -> dict[str, list[Found]]:
    """The filter's side report: each sample's flagged copies."""
    out: dict[str, list[Found]] = {path: [] for path in COPIES}
    for entry in report:
        for reason in entry.get("reasons", []):
            if reason["rule"] == RIVAL and is_recorded_edit(reason["origin"]):
                out[entry["path"]].append((reason["lines"][0], reason["lines"][1], reason["origin"]))
    return {path: in_order(found) for path, found in out.items()}


def filtered(root: Path) -> dict[str, list[Found]]:
    work = root.parent / "filter"
    work.mkdir()
    (work / "corpus.jsonl").write_bytes(corpus())
    done = provguard(root, "filter", str(work / "corpus.jsonl"), str(work / "out.jsonl"), "--path-field", "path",
                     "--report", str(work / "report.jsonl"), "--workers", "1", "--ledger",
                     str(root / ".provguard" / "ledger.sqlite3"))
    assert done.returncode == 0, done.stderr.decode()
    return filter_reasons(read_jsonl(work / "report.jsonl"))


def hover_fields(text: str) -> dict[str, str]:
    """The hover's `- Name: value` rows."""
    return dict(m.groups() for m in re.finditer(r"^- ([^:]+): (.*)$", text, re.MULTILINE))


async def in_the_editor(root: Path) -> dict[str, list[Copy]]:
    """Each copy opened and saved in the real server; its diagnostics once the save's lookup is answered, each
    described by the hover at its start."""
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, root, pull=False)
    out: dict[str, list[Copy]] = {}
    languages = {".py": "python", ".go": "go", ".ts": "typescript"}
    try:
        for path, text in COPIES.items():
            uri = open_file(client, root / path, text, languages[Path(path).suffix])
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
            # The save looks the file up before the next message is read: the hover's answer comes after its push.
            await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                     types.Position(0, 0)))
            copies = []
            for diag in client.diagnostics.get(uri, []):
                if diag.code != RIVAL:
                    continue
                hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                                 diag.range.start))
                assert hover is not None and isinstance(hover.contents, types.MarkupContent)
                fields = hover_fields(hover.contents.value)
                if not fields.get("Evidence", "").startswith(("fingerprint", "hook")):
                    continue
                copies.append(Copy(diag.range.start.line + 1, diag.range.end.line + 1, fields.get("tool-call"),
                                   fields.get("matched"), fields.get("Confidence", "100%")))
            out[path] = sorted(copies)
    finally:
        await client.shutdown_session()
        await client.stop()
    return out


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Surfaces]:
    root = tmp_path_factory.mktemp("parity") / "project"
    repo = Repo(root)
    with pytest.MonkeyPatch.context() as patch:  # what conftest.py's fixtures say, before they run
        patch.setenv("PROVGUARD_DAEMON", "0")
        patch.delenv("PROVGUARD_LEDGER_URL", raising=False)
        record_edits(root)
        repo.commit({source: COPIES[path] for path, source in MOVED.items()}, "A person's helpers")
        answers = guard_answers(root)
        repo.commit({**RECORDED, **COPIES}, "Samples")
        found, messages = checked(root)
        yield Surfaces(root, found, messages, asyncio.run(in_the_editor(root)), exported(root), filtered(root),
                       answers)


# -- the copies, surface by surface -------------------------------------------------------------------------


@pytest.mark.parametrize("path", PARAMS)
def test_every_surface_reports_the_same_copies(surfaces: Surfaces, path: str) -> None:
    """Each surface's view of check's copies: the editor's lines, edit, matched prints and confidence (diagnostic
    and hover), the filter's lines and whole origin, the trace's lines, tool and contributor type."""
    found = surfaces.check[path]
    seen = {
        "editor": sorted(copy_of(*f) for f in found),
        "export --format agent-trace": sorted((first, last, origin["tool"],
                                               "mixed" if origin["confidence"] <= MIXED_CONFIDENCE else "ai")
                                              for first, last, origin in found),
        "filter": found,
    }
    reported = {"editor": surfaces.editor[path], "export --format agent-trace": surfaces.export[path],
                "filter": surfaces.filter[path]}
    disagree = {name: {"check": seen[name], name: reported[name]} for name in seen if seen[name] != reported[name]}
    assert disagree == {}


@pytest.mark.parametrize("path", COPIES)
def test_the_guard_refuses_writing_or_moving_a_copy_by_the_rule_check_reports(surfaces: Surfaces, path: str) -> None:
    """The guard has no line ranges to show: it must refuse every write after which check reports a copy of a
    recorded edit in training data, naming the same rule, tool and vendor."""
    for agent, decided, reason in surfaces.guard[path]:
        for message in surfaces.check_messages[path]:
            assert (agent, decided) == (agent, "deny"), reason
            assert f"{message} (provguard rule {RIVAL})" in reason, (agent, reason)


def test_every_disguise_and_language_is_found_by_check(surfaces: Surfaces) -> None:
    """The parity above means something only if check finds the copies in the first place."""
    found = {path for path, copies in surfaces.check.items() if copies}
    assert found >= set(COPIES) - {"data/train/excerpt.go"}, sorted(set(COPIES) - found)
    assert {len(answers) for answers in surfaces.guard.values()} == {1, 2}, "the guard was asked about a move too"
    copies = [copy_of(*f) for found in surfaces.check.values() for f in found]
    assert {c.edit for c in copies} == {f"toolu_parity_{n}" for n in range(len(RECORDED))}
    own = [copy_of(*f) for f in surfaces.check["data/train/samples/tokens.py"]]
    assert any(c.matched is None for c in own), "the agent's own file is found by its lines"


# -- Ray ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    yield from start_ray()


@pytest.mark.parametrize("path", COPIES)
def test_the_ray_engine_reports_the_copies_the_one_machine_filter_does(surfaces: Surfaces,
                                                                       ray_report: dict[str, list[Found]],
                                                                       path: str) -> None:
    assert ray_report[path] == surfaces.filter[path]
    assert ray_report[path] == surfaces.check[path]


@pytest.fixture(scope="module")
def ray_report(surfaces: Surfaces, ray_address: str) -> dict[str, list[Found]]:
    root = surfaces.root
    work = root.parent / "ray"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "samples.jsonl").write_bytes(corpus())
    assert provguard(root, "export", "--snapshot", str(work / "policy.pgsnap")).returncode == 0
    done = provguard(work, "filter", "corpus", "out", "--engine", "ray", "--ray-address", ray_address,
                     "--snapshot", "policy.pgsnap", "--path-field", "path", "--report", "report.jsonl")
    assert done.returncode == 0, done.stderr.decode()
    return filter_reasons(read_jsonl(work / "report.jsonl"))


# -- the matcher and check --------------------------------------------------------------------------------------


def variants(seed: int, count: int) -> dict[str, str]:
    """Generated disguises of the recorded edits: an excerpt of at least four lines, names replaced, indentation
    changed, a line dropped or a line added; named by language."""
    rng = random.Random(seed)
    sources = [(PY_EDIT, ".py"), (GO_EDIT, ".go"), (TS_EDIT, ".ts")]
    out = {}
    for n in range(count):
        text, suffix = sources[n % len(sources)]
        lines = text.splitlines(keepends=True)
        first = rng.randrange(0, max(1, len(lines) - 4))
        lines = lines[first:rng.randrange(first + 4, len(lines) + 1)]
        for name in rng.sample(["value", "entries", "merged", "wait", "err", "ordered", "key", "timer"], 3):
            lines = [re.sub(rf"\b{name}\b", f"{name}_{n}", line) for line in lines]
        if rng.random() < 0.5:
            lines = ["    " + line if line.strip() else line for line in lines]
        if rng.random() < 0.5 and len(lines) > 5:
            del lines[rng.randrange(len(lines))]
        if rng.random() < 0.5:
            lines.insert(rng.randrange(len(lines) + 1), "// a person's line\n" if suffix != ".py" else "# note\n")
        out[f"data/train/generated/v{n}{suffix}"] = "".join(lines)
    return out


def test_every_region_the_matcher_accepts_is_shown_by_check(surfaces: Surfaces, tmp_path: Path) -> None:
    texts = {**COPIES, **variants(15, 60)}
    root = tmp_path / "elsewhere"
    repo = Repo(root)
    for path, text in texts.items():
        repo.write(path, text)
    ledger_file = surfaces.root / ".provguard" / "ledger.sqlite3"
    done = provguard(root, "check", "data", "--format", "json", "--fail-on", "never", "--ledger", str(ledger_file))
    assert done.returncode == 0, done.stderr.decode()
    shown = {(f["path"], f["range"]["start"]["line"], f["range"]["end"]["line"])
             for f in json.loads(done.stdout)["findings"] if f["rule"] == RIVAL and is_recorded_edit(f["origin"])}
    ledger = SqliteLedger(ledger_file)
    accepted = set()
    try:
        for path, text in texts.items():
            doc = Document(path, detect(path), text.encode())
            # find_regions' regions as whole lines, looked up at the file's own path as check does.
            for span in index_spans(doc, path, ledger):
                accepted.add((path, doc.lines.line_of(span.start) + 1, doc.lines.line_of(span.end - 1) + 1))
    finally:
        ledger.close()
    assert len(accepted) > len(COPIES), "the generated disguises are found too"
    assert accepted - shown == set()
