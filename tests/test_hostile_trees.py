"""Trees, files and command lines that would hang, exhaust or crash a naive reader, given to the real commands.

Every command runs as a subprocess with a timeout that only a hang would reach: a FIFO that is opened waits for
a writer forever, and a link to /dev/zero read whole never ends.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import zstandard

from corpus_support import jsonl, provguard
from transcript_support import CLAUDE_FIXTURE, SAMPLE_ROOT, moved

HANG = 60
"""Seconds: far above what these small trees take, so only a hang reaches it."""

AI_FILE = "# provguard: kind=ai-agent tool=claude-code\ndef generated():\n    return 1\n"
HUMAN_FILE = "def mine():\n    return 2\n"


def check(cwd: Path, *args: str) -> tuple[dict[str, Any], list[str]]:
    """The JSON report and the stderr lines of `provguard check --no-git`, which must finish."""
    done = provguard(cwd, "check", "--no-git", "--format", "json", "--fail-on", "never", *args, timeout=HANG)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout), done.stderr.decode().splitlines()


def hostile_tree(tmp_path: Path) -> Path:
    """A project whose src/ holds one AI file, one human file and every kind of file a reader can trip on;
    beside the project, a folder of AI code that links point into."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "foreign.py").write_text(AI_FILE)
    root = tmp_path / "project"
    src = root / "src"
    src.mkdir(parents=True)
    (src / "ai.py").write_text(AI_FILE)
    (src / "human.py").write_text(HUMAN_FILE)
    os.mkfifo(src / "pipe.py")
    (src / "zero.py").symlink_to("/dev/zero")
    (src / "loop_a.py").symlink_to("loop_b.py")
    (src / "loop_b.py").symlink_to("loop_a.py")
    (src / "parent").symlink_to("..", target_is_directory=True)
    (src / "dangling.py").symlink_to("gone.py")
    (src / "foreign.py").symlink_to(outside / "foreign.py")
    (src / "foreign_dir").symlink_to(outside, target_is_directory=True)
    (src / "alias.py").symlink_to("ai.py")
    return root


def test_check_reads_only_regular_files_in_the_project_and_notes_every_other_one_once(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path)

    report, stderr = check(root, ".", "--verbose")

    alone, _ = check(root, "src/ai.py")
    assert report["findings"] == alone["findings"] != []  # the link to ai.py is the same file: judged once
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    elsewhere = (tmp_path / "elsewhere").resolve()
    assert skipped == {
        "src/pipe.py": "not a regular file (FIFO)",
        "src/zero.py": "symbolic link to /dev/zero, outside the project root: not followed",
        "src/loop_a.py": "symbolic link loop",
        "src/loop_b.py": "symbolic link loop",
        "src/parent": "symbolic link to a folder: not followed",
        "src/dangling.py": "dangling symbolic link: its target does not exist",
        "src/foreign.py": f"symbolic link to {elsewhere / 'foreign.py'}, outside the project root: not followed",
        "src/foreign_dir": f"symbolic link to {elsewhere}, outside the project root: not followed",
    }
    assert len(report["skipped"]) == len(skipped)
    assert sorted(stderr[:-1]) == sorted(f"provguard: skipped {path}: {why}" for path, why in skipped.items())
    assert stderr[-1] == "provguard: skipped 8 files: 3 links out of the project, 2 symbolic link loops, " \
        "1 dangling link, 1 linked folder, 1 not a regular file"
    assert check(root, ".")[1] == [f"{stderr[-1]} (--verbose lists them)"]


def test_a_path_given_twice_or_inside_another_is_still_read_once(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path)

    report, stderr = check(root, ".", "src", "src/pipe.py", "--verbose")

    alone, _ = check(root, "src/ai.py")
    assert report["findings"] == alone["findings"]
    assert sum("src/pipe.py" in line for line in stderr) == 1


def test_a_fifo_named_on_the_command_line_is_skipped_not_waited_on(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path)

    report, stderr = check(root, "src/pipe.py", "src/human.py", "--verbose")

    assert report["skipped"] == [{"path": "src/pipe.py", "reason": "not a regular file (FIFO)"}]
    assert stderr == ["provguard: skipped src/pipe.py: not a regular file (FIFO)",
                      "provguard: skipped 1 file: 1 not a regular file"]


def test_a_device_inside_the_root_is_never_read(tmp_path: Path) -> None:
    """With / as the root the link to /dev/zero stays inside it: followed, judged where it lands, and refused
    as a device."""
    root = hostile_tree(tmp_path)

    report, _ = check(root, "--root", "/", "src")

    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert skipped["dev/zero"] == "not a regular file (character device)"


def test_export_walks_the_same_tree_without_hanging(tmp_path: Path) -> None:
    root = hostile_tree(tmp_path)

    done = provguard(root, "export", ".", "--min-severity", "hint", "--verbose", timeout=HANG)

    assert done.returncode == 0, done.stderr.decode()
    assert {json.loads(line)["path"] for line in done.stdout.splitlines()} == {"src/ai.py"}
    assert "provguard: skipped src/pipe.py: not a regular file (FIFO)" in done.stderr.decode().splitlines()
    assert ", 8 skipped" in done.stderr.decode()


# -- compressed corpora cut short ---------------------------------------------------------------------------


CORPUS = jsonl(*({"content": f"def f{i}():\n    return {i}\n"} for i in range(3000)))


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_truncated_compressed_corpus_leaves_no_output_and_names_the_file(tmp_path: Path, suffix: str) -> None:
    packed = gzip.compress(CORPUS) if suffix == ".gz" else zstandard.ZstdCompressor().compress(CORPUS)
    (tmp_path / f"cut.jsonl{suffix}").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "kept.jsonl").write_bytes(b"an earlier run's output\n")

    fresh = provguard(tmp_path, "filter", f"cut.jsonl{suffix}", "out.jsonl", "--report", "report.jsonl",
                      timeout=HANG)
    again = provguard(tmp_path, "filter", f"cut.jsonl{suffix}", "kept.jsonl", timeout=HANG)

    assert fresh.returncode == 2 and again.returncode == 2
    message = fresh.stderr.decode()
    assert f"cannot read cut.jsonl{suffix}: truncated" in message
    assert "out.jsonl and report.jsonl not written" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"cut.jsonl{suffix}", "kept.jsonl"]
    assert (tmp_path / "kept.jsonl").read_bytes() == b"an earlier run's output\n"


def test_a_whole_corpus_still_replaces_the_output_keeping_its_permissions(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(CORPUS))
    (tmp_path / "out.jsonl").write_bytes(b"old\n")
    (tmp_path / "out.jsonl").chmod(0o640)

    done = provguard(tmp_path, "filter", "in.jsonl.gz", "out.jsonl", timeout=HANG)

    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "out.jsonl").read_bytes() == CORPUS
    assert (tmp_path / "out.jsonl").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl.gz", "out.jsonl"]


# -- command lines ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["check", "."], ["export", "."], ["filter", "c.jsonl"],
                                     ["import", "claude-code"], ["import", "git-ai"]])
@pytest.mark.parametrize("root", ["missing", "c.jsonl"])
def test_a_root_that_is_not_a_folder_is_a_usage_error_naming_it(tmp_path: Path, command: list[str],
                                                                 root: str) -> None:
    (tmp_path / "c.jsonl").write_bytes(jsonl({"content": HUMAN_FILE}))

    done = provguard(tmp_path, *command, "--root", root, timeout=HANG)

    assert done.returncode == 2
    assert done.stderr.decode() == f"provguard: --root {root}: " \
        f"{'no such folder' if root == 'missing' else 'not a folder'}\n"
    assert not (tmp_path / "missing").exists() and not (tmp_path / ".provguard").exists()


def test_import_takes_its_paths_before_or_after_the_options(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "t" / "session.jsonl", Path(SAMPLE_ROOT))
    copy = tmp_path / "t2" / "session.jsonl"
    copy.parent.mkdir()
    shutil.copy(transcript, copy)

    after = provguard(tmp_path, "import", "claude-code", str(transcript), "--root", str(root),
                      "--ledger", str(tmp_path / "a.sqlite3"), timeout=HANG)
    before = provguard(tmp_path, "import", "claude-code", "--root", str(root), "--ledger",
                       str(tmp_path / "b.sqlite3"), str(copy), timeout=HANG)

    assert after.returncode == 0 and before.returncode == 0, before.stderr.decode()
    assert "new edits recorded" in after.stdout.decode()
    assert before.stdout.decode().replace(str(copy), str(transcript)) == after.stdout.decode()


def test_check_takes_paths_on_both_sides_of_an_option(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "one.py").write_text(AI_FILE)
    (tmp_path / "b" / "two.py").write_text(AI_FILE)

    report, _ = check(tmp_path, "a", "--root", ".", "b")

    assert {f["path"] for f in report["findings"]} == {"a/one.py", "b/two.py"}


@pytest.mark.parametrize("value", ["-5", "0", "nan"])
def test_the_daemon_refuses_an_idle_timeout_that_is_not_positive(tmp_path: Path, value: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVGUARD_RUNTIME_DIR", str(tmp_path / "run"))  # were it to start, not in the user's
    done = provguard(tmp_path, "daemon", f"--idle-timeout={value}", timeout=HANG)

    assert done.returncode == 2
    assert done.stderr.decode() == \
        f"provguard: --idle-timeout must be a positive number of seconds, not {float(value):g}\n"
