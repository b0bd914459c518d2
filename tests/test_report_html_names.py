"""The HTML report names kinds of code as the editor does (provenance/names.py), never by internal id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from provguard.provenance.names import kind_name
from provguard.provenance.origin import Kind


def test_the_legend_and_tables_name_each_kind_as_the_editor_does(tmp_path: Path) -> None:
    (tmp_path / "provguard.toml").write_text("")
    for kind in (Kind.AI_AGENT, Kind.AI_CHAT_PASTE, Kind.HUMAN):
        (tmp_path / f"{kind.name.lower()}.py").write_text(
            f"# provguard: begin kind={kind.value} tool=chatgpt vendor=openai\nx = 1\n# provguard: end\n")
    out = tmp_path.parent / "report.html"
    done = subprocess.run([sys.executable, "-m", "provguard", "report", "--no-git", "-q", ".", "--output", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    legend = page[page.index('<ul class="legend"'):]
    legend = legend[:legend.index("</ul>")]
    for kind in (Kind.AI_AGENT, Kind.AI_CHAT_PASTE, Kind.HUMAN):
        assert f"</span>{kind_name(kind)}</li>" in legend, kind
    assert "</span>ai-agent</li>" not in legend and "</span>ai-chat-paste</li>" not in legend
