"""A renamed copy that kept one of the edit's rare names among its new local ones (`copy_score.KEPT_NAME_LINES`,
`KEPT_NAME_COVERAGE`): found when it holds the edit's whole shape, or nearly all of a larger one; the same shape
with none of the edit's names, or a smaller part of it, is not."""

from __future__ import annotations

from provguard.provenance.copy_score import CopyScore, accepted


def region(shared: int, total: int, print_lines: int, names: float) -> CopyScore:
    """What a renamed copy leaves: structural fingerprints, no lexical ones (renaming changed their names), no line
    kept word for word."""
    return CopyScore(shared=shared, total=total, shared_lexical=0, total_lexical=6, print_lines=print_lines,
                     lines=print_lines + 5, names=names, verbatim=0.0)


def test_the_whole_shape_of_five_on_three_lines_with_one_name_in_five_kept_is_a_copy() -> None:
    # `acc0(key1)` wrapping `AccessController.doPrivileged(...)`: its local names renamed, one rare name kept
    assert accepted(region(shared=5, total=5, print_lines=3, names=0.2))


def test_the_whole_shape_with_none_of_the_edits_names_is_no_copy() -> None:
    assert not accepted(region(shared=5, total=5, print_lines=3, names=0.0))


def test_a_small_whole_shape_or_one_on_one_line_still_needs_more_of_its_names() -> None:
    assert not accepted(region(shared=3, total=3, print_lines=3, names=0.2))
    assert not accepted(region(shared=5, total=5, print_lines=1, names=0.2))


def test_most_of_a_larger_shape_with_one_of_its_names_kept_is_a_copy() -> None:
    assert accepted(region(shared=10, total=12, print_lines=4, names=0.14))


def test_most_of_a_larger_shape_without_its_names_or_less_of_it_is_no_copy() -> None:
    assert not accepted(region(shared=10, total=12, print_lines=4, names=0.0))
    assert not accepted(region(shared=9, total=12, print_lines=4, names=0.14))
    assert not accepted(region(shared=7, total=8, print_lines=4, names=0.14))
