"""Fuzzing the guard with what an agent, a broken hook or an attacker could put on its stdin: random JSON shapes,
the agents' real payloads mutated (paths to FIFOs, devices, link loops, huge strings, wrong types), bytes that
are not UTF-8 or not JSON. Whatever comes in, the guard exits 0, writes nothing or one answer the agent's schema
accepts, never a traceback or an internal error; and where the project's pack says `agent-write-on-error: deny`,
whatever cannot be judged is refused.

Seeded (`derandomize=True`) and bounded by the number of examples, so that CI runs the same cases every time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from guard_support import GUARD_FIXTURES, SAMPLE_ROOT, guard
from provguard.commands.guard import main as guard_main

AGENTS = ("claude-code", "codex", "cursor", "copilot")
ROOT = "{ROOT}"
"""Stands for the project's folder in a generated payload, replaced when it is run."""
CLOSED = "pack: closed\nextends: default\nagent-write-on-error: deny\n"
FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=150,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
KEYS = ("cwd", "hook_event_name", "hookEventName", "tool_name", "toolName", "tool_input", "toolArgs", "file_path",
        "path", "filePath", "notebook_path", "content", "contents", "file_text", "new_source", "old_string",
        "new_string", "old_str", "new_str", "oldString", "newString", "edits", "replacements", "command", "input",
        "workdir", "transcript_path", "tool_use_id", "model", "workspace_roots", "replace_all", "code")
PATHS = (f"{ROOT}/data/train/feed.py", f"{ROOT}/src/zero.py", f"{ROOT}/loop.py", f"{ROOT}/dangling.py", f"{ROOT}/src",
         f"{ROOT}/notes/x.py", f"{ROOT}/tests/test_x.py", f"{ROOT}/big.py", f"{ROOT}/logo.png", f"{ROOT}/src/cart.py",
         f"{ROOT}/notes/new/deep/x.py", f"{ROOT}/notes/../rows.jsonl", "src/cart.py", "../escape.py", "/dev/zero",
         "/dev/null", "", "\0", "a\0b", "\ud800.py", "~/x.py", "C:\\Users\\dana\\x.py")


@dataclass(frozen=True)
class Project:
    root: Path
    closed: bool


def make_project(root: Path, closed: bool) -> Project:
    """A project holding what a hostile tree holds: a FIFO, a link to a device, a link loop, a dangling link, a
    linked training-data folder, a binary and a too large file."""
    (root / ".git").mkdir(parents=True)
    (root / "data" / "train").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "cart.py").write_text("def total(items):\n    return sum(items)\n", encoding="utf-8")
    os.mkfifo(root / "data" / "train" / "feed.py")
    (root / "src" / "zero.py").symlink_to("/dev/zero")
    (root / "loop.py").symlink_to("loop.py")
    (root / "dangling.py").symlink_to("missing/x.py")
    (root / "notes").symlink_to("data/train")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    (root / "big.py").write_bytes(b"x = 1\n" * ((8 << 20) // 6 + 1))
    if closed:
        (root / "closed.yaml").write_text(CLOSED, encoding="utf-8")
        (root / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")
    return Project(root.resolve(), closed)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Project]]:
    base = tmp_path_factory.mktemp("fuzz")
    cache = base / "cache"
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)  # the guard's policy cache: not the user's own
    try:
        yield make_project(base / "open", False), make_project(base / "closed", True)
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def in_process(agent: str, data: bytes, project: Project) -> Run:
    """`provguard guard AGENT` in this process, run from the project's folder as the agents run it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.chdir(project.root), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = guard_main([agent, "--timeout", "20"], data)
    return Run(code, stdout.getvalue(), stderr.getvalue())


def schema(agent: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((GUARD_FIXTURES / f"{agent}-pretooluse-output.schema.json").read_text("utf-8"))
    return loaded


def check(agent: str, run: Run) -> dict[str, Any] | None:
    """The run's answer (None: allowed) once it holds to what every call must: exit 0, nothing or one answer of
    the agent's schema on stdout, only the guard's own notes on stderr."""
    assert run.code == 0
    for line in run.stderr.splitlines():
        assert line.startswith("provguard guard: "), run.stderr[:2000]
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr[:2000]
    if not run.stdout:
        event("allowed")
        return None
    event("answered")
    assert run.stdout.endswith("\n") and run.stdout.count("\n") == 1, run.stdout[:2000]
    found: dict[str, Any] = json.loads(run.stdout)
    jsonschema.validate(found, schema(agent))
    return found


def let_through_unjudged(run: Run) -> list[str]:
    """The calls let through because they could not be judged (a tool the guard does not know is let through
    by design, with its own note)."""
    return [line for line in run.stderr.splitlines() if line.endswith("; the call is let through")
            and not line.endswith("is not a tool provguard knows how to judge; the call is let through")]


def fixtures(agent: str) -> list[str]:
    prefix = "claude-code" if agent == "claude-code" else agent
    return [f.read_text(encoding="utf-8").replace(SAMPLE_ROOT, ROOT)
            for f in sorted(GUARD_FIXTURES.glob(f"{prefix}-*.json")) if not f.name.endswith(".schema.json")]


def json_fixtures(agent: str) -> list[str]:
    """The agent's fixtures that are JSON (the malformed ones are not)."""
    found = []
    for text in fixtures(agent):
        with contextlib.suppress(ValueError):
            json.loads(text)
            found.append(text)
    return found


def render(template: bytes, project: Project) -> bytes:
    return template.replace(ROOT.encode(), str(project.root).encode())


# -- what is generated -----------------------------------------------------------------------------------------

texts = st.one_of(st.text(max_size=40), st.sampled_from(PATHS), st.sampled_from(KEYS),
                  st.builds(lambda n, c: c * n, st.integers(1 << 10, 1 << 20), st.sampled_from("x\n\0é")))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner,
                                                max_size=6)), max_leaves=20)


def payload_objects(agent: str) -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped like the agent's payloads: its fields and tool names, with anything in them."""
    tools = st.sampled_from(["Write", "Edit", "MultiEdit", "NotebookEdit", "apply_patch", "Bash", "StrReplace",
                             "create", "edit", "create_file", "replace_string_in_file",
                             "multi_replace_string_in_file", "insert_edit_into_file", "Read", "mcp__x__y"])
    arguments = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
    return st.fixed_dictionaries({
        "cwd": st.one_of(st.just(ROOT), texts), "tool_name": tools, "toolName": tools,
        "tool_input": st.one_of(arguments, arguments.map(json.dumps), values),
        "toolArgs": arguments.map(json.dumps)}, optional={"hook_event_name": texts, "workspace_roots": values})


@st.composite
def mutated(draw: st.DrawFn, agent: str, keep_cwd: bool = False) -> bytes:
    """One of the agent's recorded payloads with a few of its values replaced, removed or retyped."""
    data = json.loads(draw(st.sampled_from(json_fixtures(agent))))
    for _ in range(draw(st.integers(1, 3))):
        places = list(_places(data, ()))
        if keep_cwd:
            places = [p for p in places if p[:1] not in (("cwd",), ("workspace_roots",))]
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = _at(data, place[:-1])
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[place[-1]]
        else:
            parent[place[-1]] = draw(values)
    return json.dumps(data).encode()


def _places(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*at, key)
        yield from _places(child, (*at, key))


def _at(value: Any, place: tuple[Any, ...]) -> Any:
    for key in place:
        value = value[key]
    return value


@st.composite
def raw_bytes(draw: st.DrawFn, agent: str) -> bytes:
    """Bytes that are not a payload: cut short, not UTF-8, not JSON, too deep, or anything at all."""
    real = draw(st.sampled_from(fixtures(agent))).encode()
    at = draw(st.integers(0, len(real)))
    return draw(st.sampled_from([
        real[:at], real[:at] + b"\xff\xfe" + real[at:], real[:at] + b"\xed\xa0\x80" + real[at:], b"[" * 100_000,
        b'{"tool_input": ' * 5000, real.replace(b'"', b"'"), b"\0" * 64,
    ]) | st.binary(max_size=256))


# -- properties ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", AGENTS)
@FUZZ
@given(data=st.data())
def test_random_payload_shapes_never_crash_the_guard(projects: tuple[Project, Project], agent: str,
                                                     data: st.DataObject) -> None:
    template = json.dumps(data.draw(payload_objects(agent))).encode()
    for project in projects:
        check(agent, in_process(agent, render(template, project), project))


@pytest.mark.parametrize("agent", AGENTS)
@FUZZ
@given(data=st.data())
def test_mutated_real_payloads_never_crash_the_guard(projects: tuple[Project, Project], agent: str,
                                                     data: st.DataObject) -> None:
    template = data.draw(mutated(agent))
    for project in projects:
        check(agent, in_process(agent, render(template, project), project))


@pytest.mark.parametrize("agent", AGENTS)
@FUZZ
@given(data=st.data())
def test_bytes_that_are_no_payload_never_crash_the_guard(projects: tuple[Project, Project], agent: str,
                                                         data: st.DataObject) -> None:
    template = data.draw(raw_bytes(agent))
    for project in projects:
        check(agent, in_process(agent, render(template, project), project))


@pytest.mark.parametrize("agent", AGENTS)
@FUZZ
@given(data=st.data())
def test_what_an_open_project_lets_through_unjudged_a_project_that_fails_closed_refuses(
        projects: tuple[Project, Project], agent: str, data: st.DataObject) -> None:
    template = data.draw(st.one_of(mutated(agent, keep_cwd=True), raw_bytes(agent)))
    opened, closed = projects

    unjudged = let_through_unjudged(in_process(agent, render(template, opened), opened))
    answer = check(agent, in_process(agent, render(template, closed), closed))

    event("let through unjudged when open" if unjudged else "judged alike")
    if unjudged:
        assert answer is not None and "deny" in json.dumps(answer), unjudged


@pytest.mark.parametrize("agent", AGENTS)
@settings(FUZZ, max_examples=3)
@given(data=st.data())
def test_the_command_line_guard_answers_mutated_payloads_alike(projects: tuple[Project, Project], agent: str,
                                                                data: st.DataObject) -> None:
    template = data.draw(mutated(agent))
    project = projects[1]

    done = guard(agent, render(template, project), cwd=project.root)

    assert check(agent, Run(done.returncode, done.stdout, done.stderr)) == check(
        agent, in_process(agent, render(template, project), project))
