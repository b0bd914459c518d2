"""Paths as agents wrote them (POSIX or Windows, absolute or relative to a working folder) made comparable.

Agents run on any system and their records travel: a transcript written on Windows may be imported on
Linux. So paths are handled as strings, never through the running system's path rules: backslashes become
forward slashes, a drive letter is upper-cased, and "inside the project" is a prefix test on the cleaned
form (case-insensitive for drive-letter paths, as Windows file systems are).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

_DRIVE = re.compile(r"^([A-Za-z]):(?:[\\/]|$)")
_UNC = re.compile(r"^(?:\\\\|//)[^\\/]")


def is_windows(path: str) -> bool:
    return bool(_DRIVE.match(path) or _UNC.match(path))


def clean(path: str) -> str:
    """Forward slashes, no `.` or `..` segments, no trailing slash; a Windows drive letter upper-cased."""
    if not path:
        return path
    windows = is_windows(path) or "\\" in path
    text = path.replace("\\", "/") if windows else path
    unc = text.startswith("//")
    drive = ""
    match = _DRIVE.match(text)
    if match:
        drive, text = match.group(1).upper() + ":", text[2:] or "/"
    normalised = posixpath.normpath(text)
    if unc and not normalised.startswith("//"):
        normalised = "/" + normalised
    return drive + normalised


def is_absolute(path: str) -> bool:
    return path.startswith("/") or is_windows(path)


def resolve(path: str, base: str | None) -> str:
    """`path` made absolute against `base` (the agent's working folder), cleaned; relative and unanchored
    when there is no absolute base."""
    if is_absolute(path) or not base:
        return clean(path)
    return clean(clean(base) + "/" + path.replace("\\", "/"))


def inside(path: str, folder: str) -> bool:
    """Whether the cleaned absolute `path` is `folder` or below it."""
    path, folder = clean(path), clean(folder)
    if is_windows(folder) or is_windows(path):
        path, folder = path.lower(), folder.lower()
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def project_path(path: str, roots: tuple[str, ...]) -> str:
    """Relative to the first root holding `path`; otherwise the cleaned absolute path."""
    for root in roots:
        if inside(path, root):
            return clean(path)[len(clean(root).rstrip("/")) + 1:] or "."
    return clean(path)


def project_roots(root: Path) -> tuple[str, ...]:
    """The root as given and with symlinks resolved, cleaned: agents record whichever they were started in."""
    given = clean(str(root.absolute()))
    try:
        resolved = clean(str(root.resolve()))
    except OSError:
        resolved = given
    return (given,) if resolved == given else (given, resolved)
