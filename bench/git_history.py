"""Git history: blame of a 5,000-line file with a long history, provguard beside plain `git blame`.

    python bench/git_history.py            # 5,000 lines, 200 commits
    python bench/git_history.py --quick    # 1,000 lines, 30 commits

Figures, medians of several runs in the same process: `git blame --porcelain --contents -` alone (the floor:
provguard cannot be faster than git); provguard's GitHistory.spans on a cold commit cache (blame, one
`git cat-file --batch` for the blamed commits, attribution, spans) and on a warm one (later files and saves);
and the analysis of the same text with those spans, for scale.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from provguard.analysis import analyze
from provguard.documents import Document
from provguard.languages import detect
from provguard.policy.policy import load_policy
from provguard.provenance.git import GitHistory
from provguard.provenance.git.history import parse_blame

CLAUDE = "\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>"
PERSON = {"GIT_AUTHOR_NAME": "Dana Reyes", "GIT_AUTHOR_EMAIL": "dana@example.com",
          "GIT_COMMITTER_NAME": "Dana Reyes", "GIT_COMMITTER_EMAIL": "dana@example.com",
          "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


@dataclass(frozen=True)
class GitFigures:
    lines: int
    commits: int
    """In the file's history."""
    ai_commits: int
    blamed_commits: int
    """The commits its lines were last changed by."""
    spans: int
    runs: int
    blame_ms: float
    cold_ms: float
    warm_ms: float
    analyze_ms: float

    def render(self) -> list[str]:
        return [
            f"file      {self.lines:,} lines, {self.commits} commits in its history ({self.ai_commits} with a Claude "
            f"Code trailer), its lines last changed by {self.blamed_commits} of them; {self.spans} spans",
            f"          median of {self.runs} runs, the measures taking turns",
            f"  git blame --porcelain --contents - alone          {self.blame_ms:8.1f} ms",
            f"  GitHistory.spans, cold commit cache               {self.cold_ms:8.1f} ms"
            f"  ({self.cold_ms / self.blame_ms:.2f} x blame)",
            f"  GitHistory.spans, warm commit cache               {self.warm_ms:8.1f} ms"
            f"  ({self.warm_ms / self.blame_ms:.2f} x blame)",
            f"  analyze with those spans (default pack)           {self.analyze_ms:8.1f} ms",
        ]


def make_repo(root: Path, lines: int, commits: int, seed: int) -> Path:
    """A file grown and rewritten over `commits` commits, every third one made with Claude Code."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **PERSON}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    path = root / "src" / "module.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = [f"value_{i} = {i}" for i in range(lines)]
    for n in range(commits):
        for _ in range(max(1, lines // 40)):  # each commit rewrites a few short runs of lines
            at = rng.randrange(lines)
            for i in range(at, min(lines, at + rng.randint(1, 8))):
                text[i] = f"value_{i} = {n} * {rng.randint(0, 999)}"
        path.write_text("\n".join(text) + "\n")
        git("add", "-A")
        git("commit", "-q", "-m", f"Change {n}" + (CLAUDE if n % 3 == 1 else ""))
    return path


def measure(root: Path, lines: int = 5000, commits: int = 200, runs: int = 5, seed: int = 1) -> GitFigures:
    path = make_repo(root, lines, commits, seed)
    source = path.read_bytes()
    blame_args = ["git", "blame", "--porcelain", "--contents", "-", "--", path.name]

    blame_env = {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}  # as provguard runs it

    def blame() -> None:
        subprocess.run(blame_args, cwd=path.parent, input=source, env=blame_env, capture_output=True, check=True)

    def cold() -> int:
        return len(GitHistory().spans(path, source).spans)

    warm_history = GitHistory()
    warm_history.spans(path, source)

    def warm() -> int:
        return len(warm_history.spans(path, source).spans)

    policy = load_policy(["default"], {}).policy
    spans = warm_history.spans(path, source).spans
    doc = Document(str(path), detect(str(path)), source)

    def analysis() -> None:
        analyze(doc, "src/module.py", policy, (), spans)

    timings = _median_ms({"blame": blame, "cold": cold, "warm": warm, "analyze": analysis}, runs)
    blamed = subprocess.run(blame_args, cwd=path.parent, input=source, env=blame_env, capture_output=True,
                            check=True).stdout
    lines_by, _ = parse_blame(blamed)
    return GitFigures(lines, commits, sum(n % 3 == 1 for n in range(commits)), len(set(lines_by)), len(spans),
                      runs, timings["blame"], timings["cold"], timings["warm"], timings["analyze"])


def _median_ms(measures: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Medians in ms; the measures take turns in each round, so a busy moment of the machine hits them all."""
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, fn in measures.items():
            start = perf_counter()
            fn()
            times[name].append(perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 lines, 30 commits, 3 runs")
    parser.add_argument("--lines", type=int)
    parser.add_argument("--commits", type=int)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="provguard-bench-git-") as workspace:
        figures = measure(Path(workspace), args.lines or (1000 if args.quick else 5000),
                          args.commits or (30 if args.quick else 200), 3 if args.quick else 5)
    print("\n".join(figures.render()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
