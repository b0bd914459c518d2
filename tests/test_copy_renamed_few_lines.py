"""A renamed copy whose shared shape sits on few lines (`copy_score.WHOLE_CODE_LINES`, `KEPT_NAME_LINES`): a Go or
Java method's fingerprints are often all in its signature and the line that uses its parameters, the rest of it
being code common everywhere. Holding every one of the edit's six or more structural fingerprints is a copy on two
lines or more; four or five need one of the edit's names or lines kept; and the names are weighed over the lines a
copy of the whole edit spans (`matching`), not only the signature's. Boilerplate's whole shape, with none of the
edit's names and none of its lines, is still no copy, nor is a method of the same shape with its own calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.copy_score import CopyScore, accepted
from snippet_support import recorded, regions


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


# A Go function an agent wrote: every name in it is local or common in Go at large (map, string, bool), so a copy
# with its names changed keeps nothing but its shape, and that shape is in its signature and its third line.
ALL_PRESENT = """func allPresent(set map[string]bool, keys ...string) bool {
	for _, key := range keys {
		if present, known := set[key]; !known || !present {
			return false
		}
	}
	return true
}
"""

RENAMED_ALL_PRESENT = """func data4(acc2 map[string]bool, obj0 ...string) bool {
	for _, part1 := range obj0 {
		if item5, tmp3 := acc2[part1]; !tmp3 || !item5 {
			return false
		}
	}
	return true
}
"""

# Another project's functions over the same kind of map: their own loops, not a copy.
OTHER_LOOPS = """func mostlySet(flags map[string]bool, keys ...string) bool {
	total := 0
	for _, key := range keys {
		if flags[key] {
			total++
		}
	}
	return total > len(keys)/2
}

func firstMissing(seen map[string]bool, names ...string) string {
	for _, name := range names {
		if ok, listed := seen[name]; listed && ok {
			continue
		}
		return name
	}
	return ""
}
"""

HOST = """package catalog

import "sort"

func keysOf(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

"""


def test_a_go_function_whose_every_name_is_renamed_is_found(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(ALL_PRESENT, "internal/registry/registry.go")])
    found = regions(ledger, "cmd/catalog/catalog.go", HOST + RENAMED_ALL_PRESENT)
    first = HOST.count("\n")
    assert [r.edit_id for r in found] == ["edit-1"]
    assert first <= found[0].first_line and found[0].last_line < first + RENAMED_ALL_PRESENT.count("\n")


def test_other_loops_over_the_same_kind_of_map_are_not_a_copy(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(ALL_PRESENT, "internal/registry/registry.go")])
    assert regions(ledger, "cmd/catalog/catalog.go", HOST + OTHER_LOOPS) == []


# A Go method an agent wrote whose shape is all in its signature (its body is the usual scanner loop), and a copy
# with every local name, the receiver's and the method's own changed: on the signature's lines only two of its
# names are the edit's, while the lines below keep its calls and its message.
PIPE_METHOD = """func (l *Logger) pipeLines(reader *io.PipeReader, emit func(args ...interface{})) {
	scanner := bufio.NewScanner(reader)
	for scanner.Scan() {
		emit(scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		pipeFailures.Inc()
		l.Errorf("reading the pipe: %s", err)
	}
	reader.Close()
}
"""

RENAMED_PIPE_METHOD = """func (obj3 *Logger) item0(tmp1 *io.PipeReader, acc2 func(data4 ...interface{})) {
	value5 := bufio.NewScanner(tmp1)
	for value5.Scan() {
		acc2(value5.Text())
	}
	if err := value5.Err(); err != nil {
		pipeFailures.Inc()
		obj3.Errorf("reading the pipe: %s", err)
	}
	tmp1.Close()
}
"""

# Another project's method of the same shape over another reader: its own calls and message.
SAME_SHAPE_PIPE_METHOD = """func (s *Server) drain(conn *net.TCPConn, handle func(parts ...interface{})) {
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		handle(lines.Text())
	}
	if err := lines.Err(); err != nil {
		dropped.Add(1)
		s.Warnf("drain stopped: %v", err)
	}
	conn.Close()
}
"""


def test_a_renamed_method_is_found_by_the_names_its_body_kept(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(PIPE_METHOD, "internal/logs/pipe.go")])
    found = regions(ledger, "cmd/tail/pipe.go", "package tail\n\n" + RENAMED_PIPE_METHOD)
    assert [(r.edit_id, r.first_line) for r in found] == [("edit-1", 2)]


def test_a_method_of_the_same_shape_with_its_own_calls_and_message_is_not_a_copy(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(PIPE_METHOD, "internal/logs/pipe.go")])
    assert regions(ledger, "cmd/serve/drain.go", "package serve\n\n" + SAME_SHAPE_PIPE_METHOD) == []


# The decision itself, on what such copies leave.


def whole(shared: int, print_lines: int, names: float = 0.0, kept_lines: int = 0) -> CopyScore:
    """A region holding every one of the edit's `shared` structural fingerprints, no lexical one (renaming changed
    their names)."""
    return CopyScore(shared=shared, total=shared, shared_lexical=0, total_lexical=4, print_lines=print_lines,
                     lines=print_lines + 5, names=names, verbatim=0.3 if kept_lines else 0.0, kept_lines=kept_lines)


def test_all_of_six_or_more_fingerprints_on_two_lines_are_a_copy_whatever_its_names() -> None:
    assert accepted(whole(shared=6, print_lines=2))
    assert accepted(whole(shared=9, print_lines=2))


def test_all_of_six_fingerprints_on_one_line_still_need_most_of_its_names() -> None:
    assert not accepted(whole(shared=6, print_lines=1, names=0.35))


def test_all_of_four_or_five_on_two_lines_are_a_copy_with_one_of_its_names_or_lines_kept() -> None:
    assert accepted(whole(shared=5, print_lines=2, names=0.2))
    assert accepted(whole(shared=4, print_lines=2, kept_lines=1))


def test_all_of_five_on_two_lines_with_none_of_its_names_or_lines_are_no_copy() -> None:
    # TypeScript boilerplate (an accessor pair) matched so in unrelated files of tune and fresh2
    assert not accepted(whole(shared=5, print_lines=2))
    assert not accepted(whole(shared=5, print_lines=3))
