"""Puts provguard and its pure-Python dependencies into bundled/libs for the .vsix (run at package time).

The extension runs `python -m provguard serve` with bundled/libs on PYTHONPATH, so an interpreter needs
only the compiled dependencies (tree-sitter and its grammars, google-re2, zstandard, PyYAML, mmh3) in its own
environment: a .vsix with compiled code would have to be built per platform and Python version. Which
dependencies are pure is read from their installed wheels (`Root-Is-Purelib`), so the split follows
pyproject.toml by itself. The versions are those of the given interpreter's environment (the checkout's
.venv by default), fetched with pip from the registry or a local wheelhouse (--find-links), and the
compiled ones are written to bundled/libs.json for the extension's start-up check.

    python scripts/bundle_libs.py [--python PYTHON] [--find-links DIR] [--no-index]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # editors/vscode
CHECKOUT = HERE.parent.parent

# Runs inside the environment that has provguard installed: its requirement closure, each distribution
# with its version, whether its wheel is pure, the requirement text provguard states and its import names.
CLOSURE = r"""
import importlib.metadata as md, json, re, sys
from packaging.requirements import Requirement
def key(name): return re.sub(r"[-_.]+", "-", name).lower()
seen, stated = {}, {}
def walk(name, requires=None):
    if key(name) in seen: return
    dist = md.distribution(name)
    wheel = dist.read_text("WHEEL") or ""
    top = (dist.read_text("top_level.txt") or "").split()
    if not top:
        top = sorted({f.parts[0].removesuffix(".py") for f in dist.files or []
                      if not f.parts[0].endswith((".dist-info", ".data", "..")) and f.parts[0] != "bin"
                      and (len(f.parts) > 1 or f.parts[0].endswith(".py"))})
    seen[key(name)] = {"dist": dist.metadata["Name"], "version": dist.version,
                       "pure": "Root-Is-Purelib: true" in wheel,
                       "modules": [m for m in top if not m.startswith("_")] or top}
    for text in (dist.requires if requires is None else requires) or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        if key(name) == "provguard":
            stated[key(req.name)] = str(req)
        walk(req.name)
walk("provguard", json.loads(sys.argv[1]))  # the built wheel's, not a possibly stale editable install's
for k, v in seen.items():
    v["requirement"] = stated.get(k, v["dist"])
json.dump(list(seen.values()), sys.stdout)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_python = CHECKOUT / ".venv" / "bin" / "python"
    parser.add_argument("--python", default=str(default_python if default_python.exists() else sys.executable))
    parser.add_argument("--find-links", action="append", default=[])
    parser.add_argument("--no-index", action="store_true")
    args = parser.parse_args()

    libs = HERE / "bundled" / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    pip = [args.python, "-m", "pip", "--disable-pip-version-check", "-q"]
    sources = [f"--find-links={d}" for d in args.find_links] + (["--no-index"] if args.no_index else [])
    with tempfile.TemporaryDirectory() as wheels:
        subprocess.run([*pip, "wheel", "--no-deps", *sources, "--wheel-dir", wheels, str(CHECKOUT)], check=True)
        built = sorted(Path(wheels).glob("provguard-*.whl"))
        with zipfile.ZipFile(built[0]) as wheel:
            metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            requires = Parser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist") or []
        closure = json.loads(
            subprocess.run(
                [args.python, "-c", CLOSURE, json.dumps(requires)], check=True, capture_output=True, text=True
            ).stdout
        )
        pure = [d for d in closure if d["pure"] and d["dist"].lower() != "provguard"]
        compiled = [d for d in closure if not d["pure"]]
        subprocess.run(
            [
                *pip,
                "install",
                "--no-deps",
                "--only-binary=:all:",
                "--no-compile",
                *sources,
                "--target",
                str(libs),
                *map(str, built),
                *(f"{d['dist']}=={d['version']}" for d in pure),
            ],
            check=True,
        )
    shutil.rmtree(libs / "bin", ignore_errors=True)
    for cache in libs.rglob("__pycache__"):
        shutil.rmtree(cache)
    native = [p for p in libs.rglob("*") if p.suffix in (".so", ".pyd", ".dylib")]
    if native:
        sys.exit(f"bundle_libs: compiled files in bundled/libs would tie the .vsix to one platform: {native}")
    (HERE / "bundled" / "libs.json").write_text(
        json.dumps(
            {
                "bundled": [{"dist": d["dist"], "version": d["version"]} for d in closure if d["pure"]],
                "compiled": [
                    {"dist": d["dist"], "requirement": d["requirement"], "modules": d["modules"]} for d in compiled
                ],
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"bundle_libs: {len(pure) + 1} pure packages in bundled/libs; "
        f"from the interpreter: {', '.join(d['dist'] for d in compiled)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
