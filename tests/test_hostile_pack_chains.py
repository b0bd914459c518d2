"""A cloned repository's packs may extend one another in a chain of any length. Each link is read inside the
one before it, so a chain of thousands used to exhaust the stack: the error then named a pack somewhere down
the chain as "nested too deeply" at its first character, saying nothing of `extends`. A chain is refused at the
link one too many, at that `extends`, and `check` stops with a configuration error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from provguard.policy.extends import MAX_EXTENDS_DEPTH
from provguard.policy.loader import load_pack

HANG = 60  # seconds: far beyond any real run, reached only by a hang


def chain(folder: Path, length: int) -> Path:
    """p0.yaml extends p1.yaml ... up to p<length - 1>.yaml, which holds the one rule; returns p0.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(length):
        link = f"extends: ./p{i + 1}.yaml\n" if i + 1 < length else (
            "rules:\n  - id: pastes\n    severity: info\n    message: pasted\n    origins: {kind: paste}\n")
        (folder / f"p{i}.yaml").write_text(f"pack: p{i}\n{link}", encoding="utf-8")
    return folder / "p0.yaml"


@pytest.mark.parametrize("length", [MAX_EXTENDS_DEPTH + 2, 3_000])
def test_a_chain_one_link_too_long_is_refused_at_that_extends(tmp_path: Path, length: int) -> None:
    result = load_pack(chain(tmp_path, length))

    assert result.pack is None
    assert [(Path(e.file).name, e.line, e.column) for e in result.errors] == [
        (f"p{MAX_EXTENDS_DEPTH}.yaml", 2, 10)]
    assert result.errors[0].message == (f"extends chain too long: p0.yaml already extends {MAX_EXTENDS_DEPTH} "
                                        f"packs down to this one, and a chain may hold at most {MAX_EXTENDS_DEPTH}")


def test_a_chain_at_the_limit_loads_with_the_rule_at_its_end(tmp_path: Path) -> None:
    result = load_pack(chain(tmp_path, MAX_EXTENDS_DEPTH + 1))

    assert result.errors == ()
    assert result.pack is not None
    assert [rule.id for rule in result.pack.rules] == ["pastes"]


def test_check_in_a_project_whose_pack_chain_is_thousands_long_is_a_configuration_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    chain(root / "packs", 3_000)
    (root / "provguard.toml").write_text('packs = ["packs/p0.yaml"]\n', encoding="utf-8")
    (root / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "provguard", "check", "."], cwd=root, capture_output=True,
                          text=True, timeout=HANG, check=False)

    assert done.returncode == 2, done.stderr
    assert f"p{MAX_EXTENDS_DEPTH}.yaml:2:10: extends chain too long" in done.stderr
    assert "Traceback" not in done.stderr
