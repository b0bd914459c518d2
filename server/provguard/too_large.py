"""What the editor says about an open document larger than `provguard check` judges (files.MAX_FILE_BYTES).

A diagnostic, not a window/showMessage: it stays on the file for as long as the file is too large (a message
pops up once and is gone, and someone opening the Problems view later would take silence for a clean file), it
reaches pulling clients and workspace reports alike (they all read Session.analysis), and it goes by itself
when edits bring the file back under the limit, where a message would need a second one to take it back. One
informational diagnostic at the very start: the file is not wrong, it is only not judged.
"""

from __future__ import annotations

from provguard.analysis import Analysis
from provguard.files import MAX_FILE_BYTES, larger_than
from provguard.findings import Finding
from provguard.policy.model import Severity

RULE_ID = "file-too-large"
"""The diagnostic's code; no pack can define or silence it (it is no rule: nothing was judged)."""


def over_limit(size: int) -> bool:
    return size > MAX_FILE_BYTES


def not_judged(size: int) -> Analysis:
    """The whole report of a document of `size` bytes over the limit: no spans, one finding at offset 0 (a range
    over its first line could mean measuring a 50 MiB line in UTF-16 on every report)."""
    message = (f"provguard does not judge this file: it is {larger_than()} ({size / (1 << 20):.1f} MiB), "
               f"as `provguard check` skips it; it is judged again once it is {MAX_FILE_BYTES >> 20} MiB or less")
    return Analysis((), (Finding(RULE_ID, Severity.INFO, 0, 0, message, None, None),))
