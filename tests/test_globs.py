"""Path globs in rule packs: gitignore-like meaning, relative to the project root."""

from __future__ import annotations

import pytest

from provguard.policy.paths import GlobError, GlobSet, glob_to_regex


def test_glob_without_slash_matches_a_name_at_any_depth() -> None:
    globs = GlobSet(("*.jsonl", "fixtures"))

    assert globs.matches("a.jsonl")
    assert globs.matches("data/deep/a.jsonl")
    assert globs.matches("src/fixtures/x.py")  # a folder name: everything under it
    assert not globs.matches("a.jsonl.bak")
    assert not globs.matches("src/myfixtures/x.py")


def test_glob_with_slash_is_anchored_at_the_project_root() -> None:
    globs = GlobSet(("data/train/*.py",))

    assert globs.matches("data/train/x.py")
    assert globs.matches("/data/train/x.py")
    assert globs.matches("./data/train/x.py")
    assert globs.matches("data\\train\\x.py")
    assert not globs.matches("src/data/train/x.py")
    assert not globs.matches("data/train/sub/x.py")  # `*` stays inside one folder


def test_leading_slash_or_dot_slash_anchors_at_the_root() -> None:
    assert GlobSet(("/setup.py",)).matches("setup.py")
    assert not GlobSet(("/setup.py",)).matches("pkg/setup.py")
    assert GlobSet(("./data/*",)).matches("data/x.py")
    assert not GlobSet(("./data/*",)).matches("src/data/x.py")


def test_double_star_spans_any_number_of_folders() -> None:
    assert GlobSet(("data/**/x.py",)).matches("data/x.py")
    assert GlobSet(("data/**/x.py",)).matches("data/a/b/x.py")
    assert GlobSet(("**/eval/**",)).matches("eval/task.py")
    assert GlobSet(("**/eval/**",)).matches("pkg/eval/sub/task.py")
    assert not GlobSet(("**/eval/**",)).matches("pkg/evaluation/task.py")
    assert GlobSet(("data/**",)).matches("data/a/b")
    assert not GlobSet(("data/**",)).matches("database/a")


def test_exclude_wins_over_include() -> None:
    globs = GlobSet(include=("data/**",), exclude=("data/public/**", "*.md"))

    assert globs.matches("data/x.py")
    assert not globs.matches("data/public/x.py")
    assert not globs.matches("data/README.md")
    assert not globs.matches("src/x.py")


def test_empty_include_means_every_path() -> None:
    assert GlobSet().matches("any/where.py")
    assert not GlobSet(exclude=("vendor/",)).matches("vendor/lib.py")


def test_directory_pattern_matches_files_under_that_directory_only() -> None:
    globs = GlobSet(("build/",))

    assert globs.matches("build/out.py")
    assert globs.matches("pkg/build/out.py")
    assert not globs.matches("build")


def test_question_mark_and_classes_stay_inside_one_segment() -> None:
    assert GlobSet(("file?.py",)).matches("file1.py")
    assert not GlobSet(("a?b",)).matches("a/b")
    assert GlobSet(("[abc].py",)).matches("src/b.py")
    assert GlobSet(("[!abc].py",)).matches("d.py")
    assert not GlobSet(("[!abc].py",)).matches("a.py")
    assert not GlobSet(("x[!a]y",)).matches("x/y")
    assert GlobSet(("[]]x",)).matches("]x")
    assert GlobSet(("v[0-9].txt",)).matches("v7.txt")


@pytest.mark.parametrize("pattern", ["", " a", "/", "a**", "**b/c", "[abc", "[!]", "[z-a]", "a[b/c]d"])
def test_invalid_globs_raise_glob_error(pattern: str) -> None:
    with pytest.raises(GlobError):
        glob_to_regex(pattern)
