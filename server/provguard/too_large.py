"""What the editor says about an open document larger than `provguard check` judges (files.MAX_FILE_BYTES).

A diagnostic, not a window/showMessage: it stays on the file for as long as the file is too large (a message
pops up once and is gone, and someone opening the Problems view later would take silence for a clean file), it
reaches pulling clients and workspace reports alike (they all read Session.analysis), and it goes by itself
when edits bring the file back under the limit, where a message would need a second one to take it back. One
informational diagnostic at the very start: the file is not wrong, it is only not judged.

Such a text is still kept and edited, so that edits can bring it back, but only up to HARD_CAP: past it the text is
dropped (repeated inserts would otherwise grow it without bound, 64 MiB a message), and the document is "not
judged, reopen it" until it is closed and opened again or a whole-text change gives its text back.
"""

from __future__ import annotations

from provguard.analysis import Analysis
from provguard.files import MAX_FILE_BYTES, larger_than
from provguard.findings import Finding
from provguard.policy.model import Severity

RULE_ID = "file-too-large"
"""The diagnostic's code; no pack can define or silence it (it is no rule: nothing was judged)."""


HARD_CAP = 4 * MAX_FILE_BYTES
"""The most text the server keeps of one document it does not judge."""


def over_limit(size: int) -> bool:
    return size > MAX_FILE_BYTES


def over_cap(size: int) -> bool:
    return size > HARD_CAP


def not_judged(size: int) -> Analysis:
    """The whole report of a document of `size` bytes over the limit: no spans, one finding at offset 0 (a range
    over its first line could mean measuring a 50 MiB line in UTF-16 on every report)."""
    message = (f"provguard does not judge this file: it is {larger_than()} ({size / (1 << 20):.1f} MiB), "
               f"as `provguard check` skips it; it is judged again once it is {MAX_FILE_BYTES >> 20} MiB or less")
    return Analysis((), (Finding(RULE_ID, Severity.INFO, 0, 0, message, None, None),))


def not_kept(size: int) -> Analysis:
    """The whole report of a document whose text was dropped on reaching `size` bytes, past HARD_CAP: edits have
    nothing to apply to any more, so only a reopen (or the whole text sent again) lets it be read."""
    message = (f"provguard does not judge this file and no longer follows its edits: it grew to "
               f"{size / (1 << 20):.1f} MiB, past the {HARD_CAP >> 20} MiB it keeps of a file it does not judge; "
               f"close and reopen it once it is {MAX_FILE_BYTES >> 20} MiB or less to have it judged again")
    return Analysis((), (Finding(RULE_ID, Severity.INFO, 0, 0, message, None, None),))
