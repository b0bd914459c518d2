"""The real `provguard report` command: the figures add up and agree with `check`, the HTML page is one
self-contained file that loads nothing, escapes what the tree says, and draws its charts from the same numbers."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from git_support import CLAUDE_FOOTER, Repo
from provguard.report.summary import AI_CATEGORIES

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "report"
HOSTILE = "<script>alert(1)</script>"

APP = """\
# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 1
# provguard: end


def mine():
    return 2
"""
COMPLETED = """\
def helper(rows):
    # provguard: kind=ai-completion tool=copilot vendor=github reviewed-by=dana@example.com
    def inner(row):
        return row * 2
    return [inner(r) for r in rows]
"""
HUMAN = "# provguard: file kind=human\ndef mul(a, b):\n    return a * b\n"
TRAINING = """\
# provguard: begin kind=ai-chat-paste tool=chatgpt vendor=openai
def normalize(text):
    return " ".join(text.split())
# provguard: end
"""
TEST_TASK = """\
# provguard: kind=ai-agent tool=codex vendor=openai
def test_add():
    assert 1 + 1 == 2
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["PROVGUARD_CACHE_SECRET"] = "report tests"  # no secret written into the home folder
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False)


def make_tree(root: Path, copies: int = 1) -> dict[str, str]:
    """A project with AI output in ordinary code, in training data and in a test file; returns its files."""
    files = {"provguard.toml": "", "README.md": "# demo\n\nA tree to report on.\n",
             "data/datasets/clean.py": TRAINING, f"src/{HOSTILE}/x.py": "a = 1\n", "tests/test_math.py": TEST_TASK}
    for i in range(copies):
        files[f"src/app{i}.py"] = APP
        files[f"src/util/helper{i}.py"] = COMPLETED
        files[f"lib/human{i}.py"] = HUMAN
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return files


def report_json(root: Path, *args: str) -> dict[str, Any]:
    done = run_cli(root, "report", "--format", "json", "--no-git", "-q", *args)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_shares_add_up_to_every_line_of_every_file_overall_and_per_folder(tmp_path: Path) -> None:
    files = make_tree(tmp_path)
    data = report_json(tmp_path, ".")
    lines = data["lines"]
    assert lines["total"] == sum(len(text.splitlines()) for text in files.values())
    assert sum(lines["by_origin"].values()) == lines["total"]
    assert sum(lines["percent"].values()) == pytest.approx(100.0)
    assert data["measured"]["files_checked"] == len(files)
    folders = {f["folder"]: f for f in data["folders"]}
    assert set(folders) == {".", "data", "src", "lib", "tests"}
    assert sum(f["lines"]["total"] for f in folders.values()) == lines["total"]
    for name, folder in folders.items():
        assert folder["files"] == sum(1 for f in files if (f.split("/", 1)[0] if "/" in f else ".") == name)
        if folder["lines"]["total"]:
            assert sum(folder["lines"]["percent"].values()) == pytest.approx(100.0)
    # what the markers say, line for line: a marked block counts with its marker comments
    assert lines["by_origin"]["ai-agent"] == len(APP.splitlines()[:4]) + len(TEST_TASK.splitlines())
    assert lines["by_origin"]["ai-chat-paste"] == len(TRAINING.splitlines())
    assert lines["by_origin"]["human"] == len(HUMAN.splitlines())
    assert folders["lib"]["lines"]["percent"] == {"human": 100.0}


def test_ai_lines_are_given_per_tool_and_vendor_with_their_evidence(tmp_path: Path) -> None:
    make_tree(tmp_path)
    data = report_json(tmp_path, ".")
    sources = {(s["tool"], s["vendor"]): s for s in data["sources"]}
    assert set(sources) == {("claude-code", "anthropic"), ("copilot", "github"), ("chatgpt", "openai"),
                            ("codex", "openai")}
    ai = sum(n for kind, n in data["lines"]["by_origin"].items() if kind.startswith("ai-"))
    assert sum(s["lines"] for s in sources.values()) == ai
    assert sources[("copilot", "github")]["by_kind"] == {"ai-completion": sources[("copilot", "github")]["lines"]}
    assert all(s["by_evidence"] == {"marker": s["lines"]} for s in sources.values())
    assert [s["lines"] for s in data["sources"]] == sorted((s["lines"] for s in data["sources"]), reverse=True)
    assert data["measured"]["sources"] == ["marker"]


def test_lines_of_commits_made_with_an_ai_tool_count_at_the_confidence_git_gives(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"provguard.toml": "", "src/mine.py": HUMAN}, "mine")
    repo.commit({"datasets/build.py": "rows = []\nrows.append(1)\n"}, f"build rows\n\n{CLAUDE_FOOTER}")
    done = run_cli(tmp_path, "report", "--format", "json", "-q", ".")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    [source] = data["sources"]
    assert (source["tool"], source["vendor"], source["by_evidence"], source["by_confidence"]) == (
        "claude-code", "anthropic", {"git-trailer": 2}, {"0.5": 2})
    [protected] = data["protected"]
    assert (protected["path"], protected["ai_lines"], protected["by_vendor"]) == (
        "datasets/build.py", 2, {"anthropic": 2})
    assert data["measured"]["git"] is True
    assert "git-trailer" in data["measured"]["sources"]


def test_finding_counts_equal_check_on_the_same_tree(tmp_path: Path) -> None:
    make_tree(tmp_path)
    data = report_json(tmp_path, ".")
    check = run_cli(tmp_path, "check", "--format", "json", "--no-git", "-q", ".")
    found = json.loads(check.stdout)["findings"]
    assert found, check.stderr
    assert data["findings"] == len(found)
    assert {(r["rule"], r["severity"]): r["findings"] for r in data["by_rule"]} == \
        dict(Counter((f["rule"], f["severity"]) for f in found))
    assert {k: v for k, v in data["by_severity"].items() if v} == dict(Counter(f["severity"] for f in found))
    per_file = Counter(f["path"] for f in found)
    assert {f["path"]: f["findings"] for f in data["top_files"]} == dict(per_file)
    assert data["files_with_findings"] == len(per_file)


def test_training_data_and_test_task_paths_are_listed_with_their_ai_content_flagged_first(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "tests" / "test_plain.py").write_text("def test_one():\n    assert True\n", encoding="utf-8")
    data = report_json(tmp_path, ".")
    rows = data["protected"]
    assert [(r["path"], r["category"]) for r in rows] == [
        ("data/datasets/clean.py", "training-data"), ("tests/test_math.py", "test-task"),
        ("tests/test_plain.py", "test-task")]
    assert rows[0]["by_vendor"] == {"openai": len(TRAINING.splitlines())}
    assert rows[0]["findings"] >= 1
    assert rows[2]["ai_lines"] == 0
    assert "**/datasets/**" in data["protected_paths"]["training-data"]
    assert "**/tests/**" in data["protected_paths"]["test-task"]


def test_cached_and_parallel_runs_give_the_same_figures(tmp_path: Path) -> None:
    make_tree(tmp_path, copies=12)
    first = report_json(tmp_path, ".", "--jobs", "1")
    assert (tmp_path / ".provguard" / "cache").is_dir()
    cached = report_json(tmp_path, ".", "--jobs", "2")
    fresh = report_json(tmp_path, ".", "--jobs", "2", "--no-cache")
    for data in (first, cached, fresh):
        data["measured"].pop("generated")
    assert cached == first
    assert fresh == first


def test_the_measurement_says_its_packs_ledger_and_version(tmp_path: Path) -> None:
    make_tree(tmp_path)
    measured = report_json(tmp_path, ".")["measured"]
    from provguard import __version__

    assert measured["provguard"] == __version__
    assert [(p["id"], Path(p["source"]).name) for p in measured["packs"]] == [("default", "default.yaml")]
    assert measured["packs"][0]["version"]
    assert measured["ledgers"] == [f"{tmp_path.resolve()}: no ledger (markers and git history only)"]
    assert measured["git"] is False


def test_since_gives_each_week_the_tree_of_its_last_commit_and_when_ai_output_entered_a_protected_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(UTC).date()
    since = today - timedelta(days=21)
    repo = Repo(tmp_path)

    def commit_on(day: int, files: dict[str, str], message: str) -> str:
        moment = f"{(since + timedelta(days=day)).isoformat()}T12:00:00Z"
        monkeypatch.setenv("GIT_AUTHOR_DATE", moment)
        monkeypatch.setenv("GIT_COMMITTER_DATE", moment)
        return repo.commit(files, message)

    before = commit_on(-3, {"provguard.toml": "", "src/mine.py": HUMAN, "datasets/clean.py": "rows = []\n"}, "start")
    agent = commit_on(8, {"src/app.py": APP}, "an agent's function")
    rival = commit_on(15, {"datasets/build.py": TRAINING}, "rows from a chat")
    status = repo.git("status", "--porcelain")
    done = run_cli(tmp_path, "report", "--format", "json", "--no-git", "-q", "--since", since.isoformat(), ".")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    weeks = data["history"]
    assert [w["start"] for w in weeks] == [(since + timedelta(days=7 * i)).isoformat() for i in range(4)]
    assert [w["commit"] for w in weeks] == [before, agent, rival, rival]
    app_ai = len(APP.splitlines()[:4])
    both = app_ai + len(TRAINING.splitlines())
    assert [w["ai_lines"] for w in weeks] == [0, app_ai, both, both]
    assert [[(e["path"], e["category"], e["by_vendor"]) for e in w["entered"]] for w in weeks] == [
        [], [], [("datasets/build.py", "training-data", {"openai": len(TRAINING.splitlines())})], []]
    assert weeks[-1]["findings"] == data["findings"]  # the last week's commit is the tree reported on
    assert weeks[0]["findings"] == 0 < weeks[2]["findings"]
    # the user's repository is as it was: same HEAD, same status, no new worktree
    assert repo.git("rev-parse", "HEAD") == rival
    assert repo.git("status", "--porcelain") == status
    assert len(repo.git("worktree", "list").splitlines()) == 1
    page = run_cli(tmp_path, "report", "--no-git", "-q", "--since", since.isoformat(), ".").stdout
    assert "Over time" in page and "datasets/build.py</strong> in the week from" in page


def test_since_needs_a_date_and_a_git_work_tree(tmp_path: Path) -> None:
    make_tree(tmp_path)
    wrong = run_cli(tmp_path, "report", "-q", "--since", "last week", ".")
    assert wrong.returncode == 2 and "YYYY-MM-DD" in wrong.stderr
    no_git = run_cli(tmp_path, "report", "-q", "--since", "2026-01-05", ".")
    assert no_git.returncode == 2 and "not in a git work tree" in no_git.stderr


def dated_commits(repo: Repo, since: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`commit(day, files, message)`: a commit dated `day` days after `since`, at noon UTC."""

    def commit_on(day: int, files: dict[str, str], message: str) -> str:
        moment = f"{(since + timedelta(days=day)).isoformat()}T12:00:00Z"
        monkeypatch.setenv("GIT_AUTHOR_DATE", moment)
        monkeypatch.setenv("GIT_COMMITTER_DATE", moment)
        return repo.commit(files, message)

    return commit_on


def ai_lines(report: dict[str, Any]) -> int:
    return sum(n for kind, n in report["lines"]["by_origin"].items() if kind in AI_CATEGORIES)


ROWS = "rows = []\nrows.append(1)\n"


def test_since_with_git_history_gives_each_week_what_an_uncached_report_of_its_commit_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Week 0 has AI lines by git trailer; in week 1 a person changes the file and changes it back (the same bytes,
    now blamed on the person); in week 2 only another file changes. Each week must equal a fresh, uncached report
    of a clone at that commit: a cache keyed by the file's bytes alone would carry week 0's AI lines on."""
    today = datetime.now(UTC).date()
    since = today - timedelta(days=21)
    work = tmp_path / "work"
    work.mkdir()
    repo = Repo(work)
    commit_on = dated_commits(repo, since, monkeypatch)
    commit_on(-3, {"provguard.toml": "", "src/mine.py": HUMAN}, "start")
    commit_on(-2, {"datasets/build.py": ROWS}, f"build rows\n\n{CLAUDE_FOOTER}")
    commit_on(8, {"datasets/build.py": "rows = [2]\n"}, "try another way")
    commit_on(8, {"datasets/build.py": ROWS}, "back to the first way")
    commit_on(15, {"src/other.py": "b = 2\n"}, "elsewhere")
    done = run_cli(work, "report", "--format", "json", "-q", "--since", since.isoformat(), ".")
    assert done.returncode == 0, done.stderr
    weeks = json.loads(done.stdout)["history"]
    assert [w["ai_lines"] for w in weeks] == [2, 0, 0, 0]
    for week in weeks[:3]:
        clone = tmp_path / f"at-{week['commit'][:12]}"
        subprocess.run(["git", "clone", "-q", str(work), str(clone)], check=True, timeout=60)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", week["commit"]], check=True, timeout=60)
        fresh = run_cli(clone, "report", "--format", "json", "-q", "--no-cache", ".")
        assert fresh.returncode == 0, fresh.stderr
        then = json.loads(fresh.stdout)
        assert (week["lines"], week["ai_lines"], week["findings"]) == (
            then["lines"]["total"], ai_lines(then), then["findings"]), week["start"]


def test_since_judges_each_project_by_its_own_packs_and_todays_excludes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two projects in one repository, each with its own pack; the excludes of today's configuration (added after
    the code they exclude) leave that code out of past weeks too."""
    today = datetime.now(UTC).date()
    since = today - timedelta(days=14)
    repo = Repo(tmp_path)
    commit_on = dated_commits(repo, since, monkeypatch)
    strict = ("pack: strict\nversion: \"1.0.0\"\nrules:\n  - id: no-agents\n    severity: error\n"
              "    message: agent code\n    origins:\n      - kind: ai-agent\n")
    lenient = "pack: lenient\nversion: \"1.0.0\"\nrules: []\n"
    commit_on(-3, {"strict/provguard.toml": 'packs = ["pack.yaml"]\n', "strict/pack.yaml": strict,
                   "strict/app.py": APP, "lenient/provguard.toml": 'packs = ["pack.yaml"]\n',
                   "lenient/pack.yaml": lenient, "lenient/app.py": APP, "lenient/vendor/lib.py": APP},
              "two projects")
    commit_on(8, {"lenient/provguard.toml": 'packs = ["pack.yaml"]\nextend-exclude = ["vendor/"]\n'},
              "vendored code is not ours")
    done = run_cli(tmp_path, "report", "--format", "json", "--no-git", "-q", "--since", since.isoformat(), ".")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["findings"] > 0
    app_ai = ai_lines(data) // 2  # today: the two app.py, vendor/ excluded
    weeks = data["history"]
    assert [w["findings"] for w in weeks] == [data["findings"]] * 3  # strict's rule only, every week
    assert [w["ai_lines"] for w in weeks] == [2 * app_ai] * 3


class Page(HTMLParser):
    """What the page holds: tags with their attributes, and the text inside each svg."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.svgs: list[list[tuple[str, dict[str, str | None]]]] = []
        self._in_svg = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "svg":
            self._in_svg = True
            self.svgs.append([])
        if self._in_svg:
            self.svgs[-1].append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._in_svg = False


def report_html(root: Path) -> tuple[str, Path]:
    out = root.parent / "report.html"
    done = run_cli(root, "report", "--no-git", "-q", ".", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return out.read_text(encoding="utf-8"), out


def marked(kind: str, tool: str, vendor: str, model: str, lines: int = 3) -> str:
    body = "".join(f"v{i} = {i}\n" for i in range(lines))
    return f"# provguard: begin kind={kind} tool={tool} vendor={vendor} model={model}\n{body}# provguard: end\n"


DEEP_TREE = {
    "provguard.toml": "",
    "setup.py": "x = 1\n",
    "pkg/__init__.py": "",
    "pkg/core/engine.py": marked("ai-agent", "claude-code", "anthropic", "claude-sonnet-4"),
    "pkg/core/io/read.py": "def read():\n    return 1\n",
    "pkg/core/io/deep/deeper/write.py": marked("ai-agent", "cursor", "anthropic", "claude-sonnet-4", lines=5),
    "pkg/web/views.py": marked("ai-completion", "copilot", "github", "gpt-4.1", lines=2),
    "docs/conf.py": "project = 'x'\n",
}


def folder_tree(folders: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    flat: dict[str, dict[str, Any]] = {}
    for folder in folders:
        flat[folder["folder"]] = folder
        flat.update(folder_tree(folder["children"]))
    return flat


def test_folders_drill_down_three_levels_and_each_level_adds_up(tmp_path: Path) -> None:
    for name, text in DEEP_TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = report_json(tmp_path, ".")
    flat = folder_tree(data["folders"])
    assert set(flat) == {".", "pkg", "pkg/core", "pkg/core/io", "pkg/web", "docs"}
    assert [f["folder"] for f in data["folders"]] == ["pkg", ".", "docs"]  # most AI lines first, then most lines
    assert [c["folder"] for c in flat["pkg"]["children"]] == ["pkg/core", "pkg/web"]
    assert flat["pkg/core/io"]["children"] == []  # deep/deeper/write.py counts here, at the third level
    for name, folder in flat.items():
        own = [f for f in DEEP_TREE if (f.rsplit("/", 1)[0] if "/" in f else ".") == name
               or (name != "." and f.startswith(name + "/"))]
        assert folder["files"] == len(own), name
        assert folder["lines"]["total"] == sum(len(DEEP_TREE[f].splitlines()) for f in own), name
        children = folder["children"]
        assert sum(c["lines"]["total"] for c in children) <= folder["lines"]["total"]
    assert flat["pkg/core/io"]["lines"]["by_origin"]["ai-agent"] == 7
    page, _ = report_html(tmp_path)
    assert "<summary><code>pkg/core</code>: 3 files" in page
    assert "t-share-of-lines-by-origin-in-the-folders-of-pkg-core" in page


def test_ai_lines_are_counted_per_model_across_tools(tmp_path: Path) -> None:
    for name, text in DEEP_TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = report_json(tmp_path, ".")
    assert data["models"] == [
        {"model": "claude-sonnet-4", "vendor": "anthropic", "lines": 12, "by_tool": {"claude-code": 5, "cursor": 7}},
        {"model": "gpt-4.1", "vendor": "github", "lines": 4, "by_tool": {"copilot": 4}},
    ]
    page, _ = report_html(tmp_path)
    parsed = Page()
    parsed.feed(page)
    titles = [next((a.get("id") for t, a in svg if t == "title"), None) for svg in parsed.svgs]
    models = dict(zip(titles, parsed.svgs, strict=True))["t-ai-lines-per-model"]
    assert [int(a["data-value"] or 0) for t, a in models if t == "rect"] == [12, 4]


def test_paths_from_the_tree_are_escaped(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    (root / "src" / HOSTILE / "x.py").write_text("# provguard: kind=ai-agent tool=x\"><img src=x>\na = 1\n",
                                                 encoding="utf-8")
    page, _ = report_html(root)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parsed = Page()
    parsed.feed(page)
    assert {tag for tag, _ in parsed.tags} <= {"html", "head", "meta", "title", "style", "body", "header", "h1",
                                               "h2", "p", "code", "main", "section", "strong", "table", "caption",
                                               "thead", "tbody", "tr", "th", "td", "svg", "rect", "text", "ul",
                                               "li", "span", "dl", "dt", "dd", "line", "h3", "details",
                                               "summary", "div"}


def test_the_page_loads_nothing_from_anywhere(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    page, _ = report_html(root)
    parsed = Page()
    parsed.feed(page)
    loading = [(tag, key, value) for tag, attrs in parsed.tags for key, value in attrs.items()
               if key in ("src", "href", "srcset", "data", "action", "poster", "xlink:href")]
    assert loading == []
    assert not re.search(r"url\(|@import", page)
    policy = [attrs.get("content") or "" for tag, attrs in parsed.tags
              if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "default-src 'none'" in policy[0]


def test_the_charts_are_drawn_from_the_figures(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    data = report_json(root, ".")
    page, _ = report_html(root)
    parsed = Page()
    parsed.feed(page)
    titles = [next((a.get("id") for t, a in svg if t == "title"), None) for svg in parsed.svgs]
    by_title = dict(zip(titles, parsed.svgs, strict=True))
    overall = by_title["t-share-of-lines-by-origin-all-files"]
    drawn = {a["data-origin"]: int(a["data-lines"] or 0) for t, a in overall if t == "rect" and a.get("data-origin")}
    assert drawn == data["lines"]["by_origin"]
    folders = by_title["t-share-of-lines-by-origin-per-top-level-folder"]
    assert sum(int(a["data-lines"] or 0) for t, a in folders if t == "rect") == data["lines"]["total"]
    rules = by_title["t-findings-per-rule"]
    assert sorted(int(a["data-value"] or 0) for t, a in rules if t == "rect") == \
        sorted(r["findings"] for r in data["by_rule"])
    tools = by_title["t-ai-lines-per-tool-and-vendor"]
    assert sorted(int(a["data-value"] or 0) for t, a in tools if t == "rect") == \
        sorted(s["lines"] for s in data["sources"])


# -- the page in a real browser ------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: requests on fd 3,
    answers on fd 4, each a JSON text ended by a NUL), so no port and no extra package is needed."""

    def __init__(self, executable: str, profile: Path) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--remote-debugging-pipe", f"--user-data-dir={profile}", "--window-size=1200,2400",
                 "about:blank"]
        env = {**os.environ, "HOME": str(profile), "XDG_CONFIG_HOME": str(profile), "XDG_CACHE_HOME": str(profile)}
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', executable, *flags],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._answers], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self._answers, 1 << 16) if ready else b""
            assert chunk, "Chromium did not answer (it ended, or hangs)"
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def close(self) -> None:
        os.close(self._commands)
        os.close(self._answers)
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)")
def test_the_page_renders_its_charts_in_chromium_and_sends_no_request(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root, copies=3)
    _, page = report_html(root)
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Log", "Runtime"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        measured = browser.send("Runtime.evaluate", {"returnByValue": True, "expression": """(() => {
            const svgs = [...document.querySelectorAll('svg')];
            const drawn = [...document.querySelectorAll('svg rect')].filter(r => {
                const box = r.getBoundingClientRect(); return box.width > 0 && box.height > 0; });
            return {svgs: svgs.length, shown: svgs.filter(s => s.getBoundingClientRect().height > 0).length,
                    rects: drawn.length, total: document.querySelectorAll('svg rect').length,
                    scripts: document.scripts.length};
        })()"""}, session=session)["result"]["value"]
        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                            session=session)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e.get("method") == "Network.requestWillBeSent"]
        refused = [e["params"]["entry"]["text"] for e in browser.events
                   if e.get("method") == "Log.entryAdded" and "Content Security Policy" in e["params"]["entry"]["text"]]
    finally:
        browser.close()
    assert measured["svgs"] >= 4 and measured["shown"] == measured["svgs"]
    assert measured["rects"] == measured["total"] > 0
    assert measured["scripts"] == 0
    assert requests == [page.as_uri()]
    assert refused == []
