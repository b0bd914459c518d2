"""When a region is a copy of a recorded edit (`copy_score`): a renamed short function is found; code that only
shares an idiom with a recorded edit, line for line, is not."""

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


# A whole Go file an agent wrote: among its code, the usual switch over reflect kinds.
RECORDED_GO = """package order

import "reflect"

// lessValue reports whether x sorts before y; both have the same type.
func lessValue(x, y reflect.Value) bool {
	switch x.Kind() {
	case reflect.Bool:
		return !x.Bool() && y.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return x.Int() < y.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return x.Uint() < y.Uint()
	case reflect.Float32, reflect.Float64:
		return x.Float() < y.Float()
	case reflect.String:
		return x.String() < y.String()
	default:
		panic("order: cannot compare " + x.Type().String())
	}
}

type byValue struct {
	items []reflect.Value
	seen  map[string]int
}

func (b *byValue) remember(key string, at int) {
	if b.seen == nil {
		b.seen = make(map[string]int, len(b.items))
	}
	if previous, ok := b.seen[key]; ok && previous < at {
		return
	}
	b.seen[key] = at
}

func (b *byValue) Len() int           { return len(b.items) }
func (b *byValue) Less(i, j int) bool { return lessValue(b.items[i], b.items[j]) }

// dedupe drops every value equal to the one before it, keeping the first of each run.
func dedupe(sorted []reflect.Value, equal func(x, y reflect.Value) bool) []reflect.Value {
	kept := sorted[:0]
	for index, candidate := range sorted {
		if index > 0 && equal(sorted[index-1], candidate) {
			continue
		}
		kept = append(kept, candidate)
	}
	return kept
}

// mergeRuns joins two sorted runs into one, ties from the left run first.
func mergeRuns(left, right []reflect.Value) []reflect.Value {
	merged := make([]reflect.Value, 0, len(left)+len(right))
	for len(left) > 0 && len(right) > 0 {
		if lessValue(right[0], left[0]) {
			merged, right = append(merged, right[0]), right[1:]
		} else {
			merged, left = append(merged, left[0]), left[1:]
		}
	}
	return append(append(merged, left...), right...)
}

// describeOrder names the ordering used for diagnostics in test failures.
func describeOrder(kind reflect.Kind, descending bool) string {
	direction := "ascending"
	if descending {
		direction = "descending"
	}
	return "order of " + kind.String() + " values, " + direction
}
"""

# Code of another project: the same idiom over reflect kinds (lines found in many unrelated Go files), with its
# own receiver, names and ending; only the idiomatic lines are the recorded file's, word for word.
UNRELATED_GO = """package heap

import "reflect"

type minHeap struct {
	values []reflect.Value
	swaps  int
}

// above reports whether the value at i belongs above the value at j.
func (h *minHeap) above(i, j int) bool {
	h.swaps++
	p, q := h.values[i], h.values[j]
	switch p.Kind() {
	case reflect.Bool:
		return !p.Bool() && q.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return p.Int() < q.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return p.Uint() < q.Uint()
	case reflect.Float32, reflect.Float64:
		return p.Float() < q.Float()
	}
	return i < j
}
"""


def test_an_idiomatic_switch_in_an_unrelated_file_is_not_a_copy_of_a_recorded_file(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(RECORDED_GO, "internal/order/order.go")])
    assert regions(ledger, "vendor/render/zero.go", UNRELATED_GO) == []


def test_the_recorded_switch_itself_copied_elsewhere_is_still_found(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(RECORDED_GO, "internal/order/order.go")])
    function = RECORDED_GO[RECORDED_GO.index("// lessValue"):RECORDED_GO.index("type byValue")]
    copied = "package sortutil\n\nimport \"reflect\"\n\n" + function
    found = regions(ledger, "pkg/sortutil/less.go", copied)
    assert [r.edit_id for r in found] == ["edit-1"]


# A short Go method an agent wrote: most of its shape is common Go, so it keeps only a few fingerprints, on two
# lines; renamed, it keeps all of them, and its fields and calls.
SHORT_METHOD = """func (s *Store) Touch(key string, now time.Time) {
	entry := s.entries[key]
	entry.hits++
	s.entries[key] = entry
	s.recent.MoveToFront(entry.element)
}
"""

RENAMED_METHOD = """func (c *Store) Touch(name string, at time.Time) {
	item := c.entries[name]
	item.hits++
	c.entries[name] = item
	c.recent.MoveToFront(item.element)
}
"""

SAME_SHAPE_METHOD = """func (q *Queue) Bump(id string, at time.Time) {
	job := q.pending[id]
	job.tries++
	q.pending[id] = job
	q.backlog.PushBack(job.ticket)
}
"""

HOST = """package cache

import "time"

"""


def test_a_renamed_short_go_method_is_found(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(SHORT_METHOD, "internal/store/store.go")])
    found = regions(ledger, "cmd/cache/store.go", HOST + RENAMED_METHOD)
    first = HOST.count("\n")
    assert [r.edit_id for r in found] == ["edit-1"]
    assert first <= found[0].first_line and found[0].last_line < first + RENAMED_METHOD.count("\n")


def test_a_short_method_of_the_same_shape_with_other_fields_and_calls_is_not_a_copy(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(SHORT_METHOD, "internal/store/store.go")])
    assert regions(ledger, "cmd/jobs/queue.go", HOST + SAME_SHAPE_METHOD) == []


# A Go method an agent wrote: its body is the usual scanner loop, common in Go at large, so all of its structural
# fingerprints are in its signature, on one line.
PIPE_METHOD = """func (l *Logger) pipeLines(reader *io.PipeReader, emit func(args ...interface{})) {
	scanner := bufio.NewScanner(reader)
	for scanner.Scan() {
		emit(scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		l.Errorf("reading the pipe: %s", err)
	}
	reader.Close()
}
"""

RENAMED_PIPE_METHOD = """func (out *Logger) pipeLines(src *io.PipeReader, sink func(vals ...interface{})) {
	lines := bufio.NewScanner(src)
	for lines.Scan() {
		sink(lines.Text())
	}
	if err := lines.Err(); err != nil {
		out.Errorf("reading the pipe: %s", err)
	}
	src.Close()
}
"""

# Another project's method of the same shape, calling the same library: only its own names differ.
SAME_SHAPE_PIPE_METHOD = """func (s *Server) copyLines(in *os.File, write func(parts ...interface{})) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		write(sc.Text())
	}
	if err := sc.Err(); err != nil {
		s.Warnf("copy failed: %v", err)
	}
	in.Close()
}
"""


def test_a_renamed_method_whose_whole_shape_is_its_signature_is_found(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(PIPE_METHOD, "internal/logs/pipe.go")])
    found = regions(ledger, "cmd/tail/pipe.go", "package tail\n\n" + RENAMED_PIPE_METHOD)
    assert [(r.edit_id, r.first_line) for r in found] == [("edit-1", 2)]


def test_a_method_of_the_same_signature_shape_with_its_own_names_is_not_a_copy(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(PIPE_METHOD, "internal/logs/pipe.go")])
    assert regions(ledger, "cmd/serve/copy.go", "package serve\n\n" + SAME_SHAPE_PIPE_METHOD) == []


# The decision itself, on the evidence a renamed short function leaves: every one of the edit's few structural
# fingerprints (most of its shape is common code), and whatever its names say.


def shape(shared: int, total: int, print_lines: int, names: float, shared_lexical: int = 0,
          total_lexical: int = 3) -> CopyScore:
    return CopyScore(shared=shared, total=total, shared_lexical=shared_lexical, total_lexical=total_lexical,
                     print_lines=print_lines, lines=print_lines + 2, names=names, verbatim=0.0)


def test_a_renamed_function_holding_all_three_of_its_structural_fingerprints_and_its_calls_is_a_copy() -> None:
    assert accepted(shape(shared=3, total=3, print_lines=3, names=0.6))


def test_three_structural_fingerprints_whose_names_agree_on_a_third_are_no_copy() -> None:
    assert not accepted(shape(shared=3, total=3, shared_lexical=1, print_lines=3, names=0.35))


def test_one_line_is_no_copy_without_all_of_the_edits_shape_and_most_of_its_names() -> None:
    assert not accepted(shape(shared=6, total=6, print_lines=1, names=0.35))
    assert not accepted(shape(shared=4, total=6, shared_lexical=2, print_lines=1, names=1.0))


def test_a_renamed_function_whose_every_name_is_local_is_a_copy_when_it_holds_all_of_six_fingerprints() -> None:
    assert accepted(shape(shared=6, total=6, print_lines=4, names=0.0))


def test_five_structural_fingerprints_and_no_names_are_no_copy_however_complete() -> None:
    assert not accepted(shape(shared=5, total=5, print_lines=3, names=0.0))
    assert not accepted(shape(shared=6, total=6, print_lines=1, names=0.0))
    assert not accepted(shape(shared=6, total=7, print_lines=4, names=0.0))
