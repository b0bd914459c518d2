"""What every `provguard import` prints after its summary line: the problems it met, the first few in full."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from provguard.printable import printable

SHOWN_PROBLEMS = 20


class Problem(Protocol):
    """A transcript line, a trace record or a git-ai note that could not be read: says where and why."""

    @property
    def reason(self) -> str: ...


def show_problems(problems: Sequence[Problem], prefix: str = "") -> None:
    """The first SHOWN_PROBLEMS problems one a line, then how many more and their commonest reasons."""
    for problem in problems[:SHOWN_PROBLEMS]:
        print(f"  {printable(f'{prefix}{problem}')}")
    if len(problems) > SHOWN_PROBLEMS:
        reasons = Counter(p.reason for p in problems[SHOWN_PROBLEMS:])
        print(f"  ... and {len(problems) - SHOWN_PROBLEMS} more: "
              + printable(", ".join(f"{n} x {reason}" for reason, n in reasons.most_common(5))))
