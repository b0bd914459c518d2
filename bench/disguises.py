"""Language-aware disguises of copied code, for bench/accuracy.py: what people do to code they copy.

Every disguise works on the tree-sitter tree provguard itself parses with (provguard.languages), so names,
statements, calls and strings are found as the language defines them, never by a regex over the text:

- renamed: every local name (parameters, variables a statement of the copy binds, the unit's own name)
  replaced consistently everywhere it is used; attribute, field, method and keyword-argument names, names
  the copy only uses (imports, globals, other code's functions), keywords and builtins are kept.
- re-indented: one level deeper with another indent width (tabs <-> spaces, 4 <-> 2), inside a wrapper
  where the language has one that keeps the code valid (a class for Python, a block, module or namespace).
- reformatted: calls whose arguments sit on one line wrapped one argument a line (with a trailing comma
  where the language allows one), a comment in the language's syntax added before about one code line in
  six, quotes swapped where the language has two equal kinds ('...' <-> "...": Python, JS/TS, Ruby, Lua).
- edited: a share of the code lines edited as a person would, in turn a line changed (a one-line statement
  replaced by another, or an argument or list element on its own line by a call), a statement inserted, a line
  deleted (a one-line statement, or an element that is not the last); a block keeps one statement, so the copy
  still parses. Code with fewer editable lines than the share asks gets fewer edits.

Every disguise of a unit that parsed in its context (a method inside a class body) still parses: checked on
60 functions per language of the corpus (bench/accuracy.py --keep also counts hosts a copy broke).

Code lines: rows on which a token of code starts; blank lines, comment-only lines and docstrings (Python
string statements) do not count, nor do the inner rows of a string spanning lines.
"""

from __future__ import annotations

import random
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from provguard.documents import Document
from provguard.languages import Language, by_id


@dataclass(frozen=True)
class Dialect:
    """What the disguises need to know about one language."""

    functions: tuple[str, ...]
    """Node types of functions and methods: the snippets."""
    long_units: tuple[str, ...]
    """Node types of longer units (classes, impl blocks, whole functions) for the long edits."""
    line_comment: str
    quotes: bool
    """Whether '...' and "..." are the same kind of string, so a copy may swap them."""
    trailing_comma: bool
    """Whether a call's argument list may end with a comma."""
    blocks: tuple[str, ...]
    """Node types holding a sequence of statements: where statements are edited."""
    change: str
    """A statement replacing another: {v} a new name, {n} a number."""
    insert: str
    wrap: tuple[str, str] | None
    """Lines around a re-indented copy that keep it valid anywhere a unit may stand (None: no such wrapper)."""
    builtins: frozenset[str] = frozenset()
    """Names that are never renamed even where a copy binds them."""


_JS_BLOCKS = ("statement_block",)
DIALECTS: dict[str, Dialect] = {
    "python": Dialect(("function_definition",), ("class_definition", "function_definition"), "#", True, True,
                      ("block",), "{v} = compute({v}, {n})", 'trace("here", {n})', ("class Wrapper:", ""),
                      frozenset({"self", "cls", "print", "len", "range", "super", "isinstance"})),
    "javascript": Dialect(("function_declaration", "generator_function_declaration", "method_definition"),
                          ("class_declaration", "function_declaration"), "//", True, True, _JS_BLOCKS,
                          "const {v} = compute({n});", 'trace("here", {n});', None,
                          frozenset({"arguments", "undefined", "console", "require", "module", "exports"})),
    "typescript": Dialect(("function_declaration", "generator_function_declaration", "method_definition"),
                          ("class_declaration", "abstract_class_declaration", "function_declaration"), "//", True,
                          True, _JS_BLOCKS, "const {v} = compute({n});", 'trace("here", {n});', None,
                          frozenset({"arguments", "undefined", "console", "require", "module", "exports"})),
    "go": Dialect(("function_declaration", "method_declaration"), ("function_declaration", "method_declaration"),
                  "//", False, True, ("statement_list",), "{v} := compute({n})", 'trace("here", {n})', None,
                  frozenset({"_", "err"})),
    "rust": Dialect(("function_item",), ("impl_item", "trait_item", "mod_item", "function_item"), "//", False, True,
                    ("block",), "let {v} = compute({n});", 'trace("here", {n});', None, frozenset({"_"})),
    "java": Dialect(("method_declaration", "constructor_declaration"),
                    ("class_declaration", "enum_declaration", "interface_declaration", "method_declaration"), "//",
                    False, False, ("block", "constructor_body"), "int {v} = compute({n});", 'trace("here", {n});',
                    ("class Wrapper {", "}")),
    "c": Dialect(("function_definition",), ("function_definition",), "//", False, False, ("compound_statement",),
                 "int {v} = compute({n});", 'trace("here", {n});', None),
    "cpp": Dialect(("function_definition",), ("class_specifier", "struct_specifier", "function_definition"), "//",
                   False, False, ("compound_statement",), "int {v} = compute({n});", 'trace("here", {n});', None),
    "ruby": Dialect(("method", "singleton_method"), ("class", "module", "method"), "#", True, True,
                    ("body_statement", "block_body", "then", "else", "do"), "{v} = compute({n})",
                    'trace("here", {n})', ("module Wrapper", "end")),
    "lua": Dialect(("function_declaration",), ("function_declaration",), "--", True, False, ("block",),
                   "local {v} = compute({n})", 'trace("here", {n})', ("do", "end"),
                   frozenset({"self", "_"})),
}
"""By provguard language id; tsx is read as typescript."""

CONTAINERS: dict[str, dict[str, tuple[str, str]]] = {
    "javascript": {"class_body": ("class Copied {", "}"), "object": ("const copied = {", "};")},
    "typescript": {"class_body": ("class Copied {", "}"), "object": ("const copied = {", "};")},
    "rust": {"declaration_list": ("impl Copied {", "}")},
    "java": {"class_body": ("class Copied {", "}"), "enum_body_declarations": ("class Copied {", "}"),
             "interface_body": ("interface Copied {", "}")},
    "cpp": {"field_declaration_list": ("struct Copied {", "};")},
}
"""Where a unit lives inside another (a method in a class body): the lines that make it valid on its own."""
WRAPPED_ONLY = frozenset({"object"})
"""Containers a copy is never pasted into (an object literal's members need commas): it is pasted wrapped."""

_BINDING_PARENTS = frozenset({
    # parameters of every grammar
    "parameters", "parameter", "formal_parameters", "formal_parameter", "parameter_declaration", "parameter_list",
    "default_parameter", "typed_parameter", "typed_default_parameter", "lambda_parameters", "required_parameter",
    "optional_parameter", "method_parameters", "block_parameters", "closure_parameters",
    "spread_parameter", "catch_formal_parameter", "inferred_parameters", "splat_parameter", "keyword_parameter",
    "rest_pattern", "list_splat_pattern", "dictionary_splat_pattern", "variadic_parameter_declaration",
    # declarations and patterns
    "variable_declarator", "init_declarator", "pointer_declarator", "array_declarator", "reference_declarator",
    "let_declaration", "var_spec", "const_spec", "tuple_pattern", "pattern_list", "array_pattern", "object_pattern",
    "assignment_pattern", "as_pattern_target", "for_in_statement", "for_statement", "for_expression",
    "enhanced_for_statement", "for_numeric_clause", "for_generic_clause", "catch_clause", "for_in_clause",
    "function_declarator", "name_list", "left_assignment_list", "destructured_parameter",
    "range_clause", "tuple_struct_pattern", "ref_pattern", "mut_pattern", "captured_pattern", "closure_expression",
    "function_definition", "function_declaration", "function_item", "method", "method_declaration",
    "generator_function_declaration", "method_definition",
})
"""Parents under which an identifier is bound by the code it stands in (with the fields below)."""
_BINDING_FIELDS = frozenset({"name", "left", "pattern", "declarator", "parameter", "alias"})
_KEPT_FIELDS = frozenset({"attribute", "field", "property", "method", "type", "module_name", "module"})
"""Fields whose identifier names other code even when it is spelt like a local (o.f, o.m(), import m)."""
_ASSIGNMENTS = frozenset({"assignment", "augmented_assignment", "short_var_declaration", "expression_list",
                          "assignment_statement", "assignment_expression", "for_in_clause", "for_statement"})


def dialect(language: Language) -> Dialect:
    return DIALECTS["typescript" if language.id == "tsx" else language.id]


def parse(language: Language, text: str) -> Document:
    return Document.from_text("copy", language, text)


def walk(node: ts.Node) -> Iterator[ts.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


# -- code lines -------------------------------------------------------------------------------------------


def code_rows(language: Language, text: str, container: str | None = None) -> set[int]:
    """Rows (0-based, of `text`) on which a token of code starts; see the module docstring."""
    before, _ = _context(language, container)
    doc = parse(language, before + text)
    assert doc.tree is not None
    shift = before.count("\n")
    comments = set(language.comment_nodes) | {"comment"}
    rows: set[int] = set()
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in comments or _docstring(language, node):
            continue
        if "string" in node.type or node.child_count == 0:
            if node.end_byte > node.start_byte:
                rows.add(node.start_point[0] - shift)
            continue
        stack.extend(node.children)
    return {r for r in rows if r >= 0}


def _docstring(language: Language, node: ts.Node) -> bool:
    return (language.id == "python" and node.type == "expression_statement" and node.named_child_count == 1
            and node.named_children[0].type == "string")


def _context(language: Language, container: str | None) -> tuple[str, str]:
    """Text to put around a unit from `container` (a node type) so it parses as it did in its file."""
    wrapper = CONTAINERS.get("typescript" if language.id == "tsx" else language.id, {})
    if container in wrapper:
        open_, close = wrapper[container]
        return open_ + "\n", "\n" + close + "\n"
    return "", ""


# -- renamed ----------------------------------------------------------------------------------------------

_NEW_NAMES = ("item", "value", "entry", "node", "acc", "tmp", "part", "elem", "res", "obj", "data", "key")


def renamed(language: Language, text: str, rng: random.Random, container: str | None = None) -> str:
    """Every local name replaced by a new one, consistently (see the module docstring)."""
    before, after = _context(language, container)
    source = before + text + after
    doc = parse(language, source)
    assert doc.tree is not None
    kept = dialect(language).builtins
    idents = [n for n in walk(doc.tree.root_node) if n.type == "identifier"]
    bound = {_text(n) for n in idents if _binds(n, language.id)} - kept
    names: dict[str, str] = {}
    for word in sorted(bound):
        base = rng.choice(_NEW_NAMES)
        names[word] = f"{base}{len(names)}" if not word[:1].isupper() or language.id == "ruby" else \
            f"{base.capitalize()}{len(names)}"
    edits = [(n.start_byte, n.end_byte, names[_text(n)]) for n in idents
             if _text(n) in names and not _names_other_code(n)]
    out = _apply(doc.source, edits).decode("utf-8", errors="replace")
    return _unwrap(out, before, after)


def _binds(node: ts.Node, language: str) -> bool:
    """Whether this identifier is bound by the code around it: a parameter, a declared or assigned name, the
    unit's own name."""
    parent = node.parent
    if parent is None or _names_other_code(node):
        return False
    field = _field_of(node)
    if parent.type in _ASSIGNMENTS:
        # an assignment binds a local only where the language declares by assigning (elsewhere `x = 1` with x
        # declared nowhere in the copy is a field or a global: other code's name)
        grand = parent.parent
        if parent.type == "expression_list":  # Go: the left side of := or of a range clause
            return grand is not None and grand.type in ("short_var_declaration", "range_clause") and \
                _field_of(parent) == "left"
        if language == "lua":
            return False
        return language in ("python", "ruby") and field == "left"
    if parent.type == "variable_list" and language == "lua":  # local x = ...
        grand = parent.parent
        return grand is not None and (grand.type == "variable_declaration" or (grand.parent is not None
                                      and grand.parent.type == "variable_declaration"))
    if parent.type in _BINDING_PARENTS:
        return field in _BINDING_FIELDS or (field is None and any(
            kind in parent.type for kind in ("param", "pattern", "_list", "declarator")))
    return False


def _names_other_code(node: ts.Node) -> bool:
    """An attribute, field, method or keyword-argument name, or a package's (o.f, m(), f(key=...))."""
    parent = node.parent
    if parent is None:
        return False
    field = _field_of(node)
    if parent.type == "keyword_argument" and field == "name":
        return True
    if parent.type in ("method_invocation", "call") and field in ("name", "method"):
        return True
    return field in _KEPT_FIELDS and parent.type not in _BINDING_PARENTS | _ASSIGNMENTS


def _field_of(node: ts.Node) -> str | None:
    parent = node.parent
    if parent is None:
        return None
    for index, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.field_name_for_child(index)
    return None


def _apply(source: bytes, edits: list[tuple[int, int, str]]) -> bytes:
    out = source
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new.encode() + out[end:]
    return out


def _unwrap(text: str, before: str, after: str) -> str:
    if before:
        text = text[text.index("\n") + 1:]
    if after:
        text = text[:text.rstrip("\n").rindex("\n") + 1]
    return text


# -- re-indented ------------------------------------------------------------------------------------------


def reindented(language: Language, text: str, container: str | None = None) -> str:
    """One level deeper, another indent width, wrapped where the language allows (see the module docstring)."""
    lines = text.splitlines()
    unit = _indent_unit(lines)
    new_unit = "    " if unit in ("\t", "  ") else "  "
    if language.id == "go":
        new_unit = "    " if unit == "\t" else "\t"
    out = []
    for line in lines:
        stripped = line.lstrip(" \t")
        width = len(line) - len(stripped)
        depth = line[:width].count("\t") + line[:width].count(" ") // max(1, len(unit) if unit != "\t" else 4)
        out.append(new_unit * (depth + 1) + stripped if stripped else "")
    wrap = dialect(language).wrap
    if language.id == "javascript" or language.id in ("typescript", "tsx"):
        wrap = ("{", "}") if container is None else None
    elif language.id == "rust":
        wrap = ("mod wrapper {", "}") if container is None else None
    elif language.id == "cpp":
        wrap = ("namespace wrapper {", "}") if container is None else None
    if wrap is None:
        return "\n".join(out) + "\n"
    return "\n".join([wrap[0], *out, *([wrap[1]] if wrap[1] else [])]) + "\n"


def _indent_unit(lines: list[str]) -> str:
    widths = []
    for line in lines:
        if line.startswith("\t"):
            return "\t"
        stripped = line.lstrip(" ")
        if stripped and len(line) > len(stripped):
            widths.append(len(line) - len(stripped))
    return " " * (min(widths) if widths else 4)


# -- reformatted ------------------------------------------------------------------------------------------

_CALLS = frozenset({"call", "call_expression", "method_invocation", "function_call", "new_expression",
                    "object_creation_expression"})
_ARGUMENTS = frozenset({"arguments", "argument_list"})


def reformatted(language: Language, text: str, rng: random.Random, container: str | None = None) -> str:
    """Calls wrapped one argument a line, comments added, quotes swapped (see the module docstring)."""
    before, after = _context(language, container)
    source = before + text + after
    doc = parse(language, source)
    assert doc.tree is not None
    shift = before.count("\n")
    spec = dialect(language)
    lines = source.splitlines()
    edits: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for node in walk(doc.tree.root_node):
        if node.type in _ARGUMENTS and node.parent is not None and node.parent.type in _CALLS \
                and node.start_point[0] == node.end_point[0] and node.named_child_count >= 2 \
                and not any(s <= node.start_byte < e for s, e in taken) \
                and all(c.type not in ("comment", "block", "do_block", "heredoc_beginning") for c in node.children):
            row = node.start_point[0]
            line = lines[row]
            indent = line[:len(line) - len(line.lstrip())]
            step = "\t" if indent.startswith("\t") else "    "
            args = [_text(c) for c in node.named_children]
            tail = "," if spec.trailing_comma else ""
            body = (",\n" + indent + step).join(args)
            edits.append((node.start_byte, node.end_byte, f"(\n{indent}{step}{body}{tail}\n{indent})"))
            taken.append((node.start_byte, node.end_byte))
    out = _apply(doc.source, edits).decode("utf-8", errors="replace")
    if spec.quotes:
        swapped = parse(language, out)
        assert swapped.tree is not None
        quotes = [(n.start_byte, n.end_byte, q) for n in walk(swapped.tree.root_node)
                  if n.type == "string" and (q := _swap_quotes(_text(n))) is not None]
        out = _apply(swapped.source, quotes).decode("utf-8", errors="replace")
    # comments: before about one code row in six, never inside a string or after a line continuation
    new = parse(language, out)
    assert new.tree is not None
    code = code_rows(language, out)
    inside = _rows_inside_strings(new.tree.root_node)
    lines = out.splitlines()
    result: list[str] = []
    for row, line in enumerate(lines):
        if row in code and row not in inside and row > shift and rng.random() < 1 / 6 \
                and not (row and lines[row - 1].rstrip().endswith("\\")):
            indent = line[:len(line) - len(line.lstrip())]
            result.append(f"{indent}{spec.line_comment} {rng.choice(_COMMENTS)}")
        result.append(line)
    return _unwrap("\n".join(result) + "\n", before, after)


_COMMENTS = ("keep this in sync with the caller", "see the notes above", "reviewed", "handles the empty case",
             "TODO: measure this", "copied as is")


def _swap_quotes(literal: str) -> str | None:
    if len(literal) < 2 or "\\" in literal or "#{" in literal or "\n" in literal:
        return None
    quote = literal[0]
    if quote not in "'\"" or literal[-1] != quote or literal.startswith(quote * 3):
        return None
    other = '"' if quote == "'" else "'"
    inner = literal[1:-1]
    if other in inner:
        return None
    return other + inner + other


def _rows_inside_strings(root: ts.Node) -> set[int]:
    rows: set[int] = set()
    for node in walk(root):
        if ("string" in node.type or node.type in ("heredoc_body", "comment", "block_comment")) \
                and node.end_point[0] > node.start_point[0]:
            rows.update(range(node.start_point[0] + 1, node.end_point[0] + 1))
    return rows


# -- edited -----------------------------------------------------------------------------------------------


def edited(language: Language, text: str, share: float, rng: random.Random, container: str | None = None) -> str:
    """`share` of the code lines (at least one) edited, as a person would, in turn: a line changed (a one-line
    statement replaced by another, or an argument or element on its own line by a call), a statement inserted,
    a line deleted (a one-line statement, or an element that is not the last). Blocks keep a statement, so the
    copy still parses. Fewer edits when the code has fewer such lines (see `edit_rows`)."""
    before, after = _context(language, container)
    source = before + text + after
    doc = parse(language, source)
    assert doc.tree is not None
    spec = dialect(language)
    lines = source.splitlines()
    shift = before.count("\n")
    places = {row: kinds for row, kinds in edit_rows(language, doc, lines).items() if row > shift}
    wanted = max(1, round(share * len(code_rows(language, text, container))))
    chosen = sorted(rng.sample(sorted(places), min(wanted, len(places))), reverse=True)
    left: Counter[int] = Counter(kinds["block"] for kinds in places.values() if "block" in kinds)
    for n, row in enumerate(chosen):  # bottom up, so earlier rows keep their numbers
        kinds = places[row]
        want = ("change", "insert", "delete")[n % 3]
        if want == "delete" and "block" in kinds and left[kinds["block"]] < 2:
            want = "change"
        if not kinds:
            continue
        kind = want if want in kinds else next(k for k in ("change", "insert", "delete") if k in kinds)
        line = lines[row]
        indent = line[:len(line) - len(line.lstrip())]
        if kind == "change" and kinds["change"] == 1:  # an element on its own line
            comma = "," if line.rstrip().endswith(",") else ""
            lines[row] = f"{indent}compute({row}){comma}"
        elif kind == "change":
            lines[row] = indent + spec.change.format(v=f"value_{row}", n=row)
        elif kind == "insert":
            lines.insert(row, indent + spec.insert.format(n=row))
        else:
            del lines[row]
            if "block" in kinds:
                left[kinds["block"]] -= 1
    return _unwrap("\n".join(lines) + "\n", before, after)


def edit_rows(language: Language, doc: Document, lines: list[str]) -> dict[int, dict[str, int]]:
    """Rows a person may edit, with how: "change" (0: a one-line statement, 1: an element), "insert" (a statement
    starts there), "delete"; "block" names a statement's block, which must keep one statement."""
    assert doc.tree is not None
    blocks = set(dialect(language).blocks)
    comments = set(language.comment_nodes) | {"comment"}
    rows: dict[int, dict[str, int]] = {}
    for node in walk(doc.tree.root_node):
        if node.type in _ARGUMENTS or node.type in _ELEMENTS:
            elements = [c for c in node.named_children if c.type not in comments]
            for index, child in enumerate(elements):
                row = child.start_point[0]
                if child.end_point[0] == row and lines[row].strip().rstrip(",") == _text(child).strip() \
                        and row != node.start_point[0] and row != node.end_point[0]:
                    keyed = any(k in child.type for k in ("pair", "keyword", "keyed", "splat", "spread", "named",
                                                          "field", "shorthand"))
                    kinds = {} if keyed else {"change": 1}
                    rows.setdefault(row, {**kinds, **({"delete": 1} if index < len(elements) - 1 else {})})
        if node.type not in blocks:
            continue
        children = [c for c in node.named_children if c.type not in comments]
        for index, child in enumerate(children):
            row = child.start_point[0]
            if _docstring(language, child) or child.type == "ERROR" or lines[row][:child.start_point[1]].strip():
                continue
            last = language.id in ("rust", "ruby") and index == len(children) - 1  # the block's value
            rust_item = language.id == "rust" and child.type not in ("expression_statement", "let_declaration")
            kinds: dict[str, int] = {"insert": 1, "block": node.id}
            alone = lines[row].strip().rstrip(";") == _text(child).strip().rstrip(";")
            if child.end_point[0] == row and alone and not last and not rust_item:
                kinds.update({"change": 0, "delete": 1})
            rows[row] = kinds
    return rows


_ELEMENTS = frozenset({"list", "tuple", "array", "dictionary", "set", "array_initializer", "initializer_list",
                       "composite_literal", "literal_value", "object", "table_constructor", "array_expression"})


def dedent(text: str) -> str:
    return textwrap.dedent(text.expandtabs(4)) if "\t" not in text else _dedent_tabs(text)


def _dedent_tabs(text: str) -> str:
    lines = text.splitlines()
    depth = min((len(line) - len(line.lstrip("\t")) for line in lines if line.strip()), default=0)
    return "\n".join(line[depth:] if line.strip() else "" for line in lines) + "\n"


def language_of(language_id: str) -> Language:
    found = by_id(language_id)
    assert found is not None, language_id
    return found


# -- boilerplate an agent writes all day (for the ledger) ----------------------------------------------------
# Boilerplate an agent writes all day, per language, for bench/accuracy.py's ledger: imports, getters and
# setters, constructors, licence headers, main guards, Go sort interfaces, test set-ups, Rust Display/Default,
# JS/TS class accessors, Java equals/hashCode. Human code is full of the same shapes, so recording them must not
# make provguard flag unrelated code. Each template is filled with a few sets of names (Record, fields).



NAMES = (("User", ("name", "email", "age")), ("Order", ("id", "total", "status")),
         ("Config", ("host", "port", "timeout")))

APACHE = ("Copyright 2025 The Example Authors\n\nLicensed under the Apache License, Version 2.0 (the \"License\");\n"
          "you may not use this file except in compliance with the License.\nYou may obtain a copy of the License at\n"
          "\n    http://www.apache.org/licenses/LICENSE-2.0\n\nUnless required by applicable law or agreed to in "
          "writing, software\ndistributed under the License is distributed on an \"AS IS\" BASIS,\nWITHOUT "
          "WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\nSee the License for the specific "
          "language governing permissions and\nlimitations under the License.\n")


def _comment(prefix: str, text: str) -> str:
    return "".join(f"{prefix} {line}".rstrip() + "\n" for line in text.splitlines())


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


def python(cls: str, fields: tuple[str, ...]) -> list[str]:
    init = "".join(f"        self.{f} = {f}\n" for f in fields)
    props = "".join(f"    @property\n    def {f}(self):\n        return self._{f}\n\n    @{f}.setter\n"
                    f"    def {f}(self, value):\n        self._{f} = value\n\n" for f in fields)
    return [
        "import os\nimport sys\nimport json\nimport logging\nfrom pathlib import Path\nfrom typing import Any, "
        "Optional\n\nlogger = logging.getLogger(__name__)\n",
        f"class {cls}:\n    def __init__(self, {', '.join(fields)}):\n{init}\n    def __repr__(self):\n"
        f"        return f\"{cls}({{self.{fields[0]}!r}})\"\n\n    def __eq__(self, other):\n"
        f"        return isinstance(other, {cls}) and self.{fields[0]} == other.{fields[0]}\n",
        f"class {cls}:\n{props}",
        _comment("#", APACHE) + "\n\ndef main():\n    pass\n\n\nif __name__ == \"__main__\":\n    main()\n",
        f"import unittest\n\n\nclass {cls}Test(unittest.TestCase):\n    def setUp(self):\n"
        f"        self.{fields[0]} = {cls}()\n\n    def tearDown(self):\n        self.{fields[0]} = None\n",
    ]


def javascript(cls: str, fields: tuple[str, ...], typed: bool = False) -> list[str]:
    t = ": string" if typed else ""
    decl = "".join(f"  private _{f}{t};\n" for f in fields) if typed else ""
    acc = "".join(f"  get {f}(){t} {{\n    return this._{f};\n  }}\n\n  set {f}(value{t}) {{\n"
                  f"    this._{f} = value;\n  }}\n\n" for f in fields)
    ctor = "".join(f"    this._{f} = {f};\n" for f in fields)
    params = ", ".join(f"{f}{t}" for f in fields)
    imports = ("import * as fs from 'fs';\nimport * as path from 'path';\nimport { EventEmitter } from 'events';\n"
               if typed else "'use strict';\n\nconst fs = require('fs');\nconst path = require('path');\n"
               "const { EventEmitter } = require('events');\n")
    return [
        imports,
        f"export class {cls} {{\n{decl}  constructor({params}) {{\n{ctor}  }}\n\n{acc}}}\n",
        _comment("//", APACHE),
        f"describe('{cls}', () => {{\n  let {fields[0]};\n\n  beforeEach(() => {{\n    {fields[0]} = new {cls}();\n"
        f"  }});\n\n  afterEach(() => {{\n    jest.restoreAllMocks();\n  }});\n}});\n",
        f"module.exports = {{\n  {cls},\n  create{cls},\n  parse{cls},\n}};\n" if not typed else
        f"export interface {cls}Options {{\n" + "".join(f"  {f}?: string;\n" for f in fields) + "}\n",
    ]


def go(cls: str, fields: tuple[str, ...]) -> list[str]:
    struct = "".join(f"\t{_cap(f)} string\n" for f in fields)
    getters = "".join(f"func (r *{cls}) Get{_cap(f)}() string {{\n\treturn r.{_cap(f)}\n}}\n\n" for f in fields)
    return [
        "package main\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\t\"io\"\n\t\"os\"\n\t\"strings\"\n\t\"time\"\n)\n",  # noqa: E501
        f"type {cls}s []{cls}\n\nfunc (s {cls}s) Len() int           {{ return len(s) }}\n"
        f"func (s {cls}s) Less(i, j int) bool {{ return s[i].{_cap(fields[0])} < s[j].{_cap(fields[0])} }}\n"
        f"func (s {cls}s) Swap(i, j int)      {{ s[i], s[j] = s[j], s[i] }}\n",
        f"type {cls} struct {{\n{struct}}}\n\nfunc New{cls}({', '.join(fields)} string) *{cls} {{\n\treturn &{cls}{{\n"
        + "".join(f"\t\t{_cap(f)}: {f},\n" for f in fields) + "\t}\n}\n\n" + getters,
        _comment("//", APACHE) + "\npackage main\n\nfunc main() {\n\tif err := run(); err != nil {\n"
        "\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n}\n",
        f"func Test{cls}(t *testing.T) {{\n\ttests := []struct {{\n\t\tname string\n\t\twant string\n\t}}{{\n\t}}\n"
        "\tfor _, tt := range tests {\n\t\tt.Run(tt.name, func(t *testing.T) {\n\t\t\tif got := run(); got != tt.want {\n"  # noqa: E501
        "\t\t\t\tt.Errorf(\"got %v, want %v\", got, tt.want)\n\t\t\t}\n\t\t})\n\t}\n}\n",
    ]


def rust(cls: str, fields: tuple[str, ...]) -> list[str]:
    struct = "".join(f"    pub {f}: String,\n" for f in fields)
    return [
        "use std::collections::HashMap;\nuse std::fmt;\nuse std::io::{self, Read, Write};\nuse std::path::{Path, "
        "PathBuf};\nuse std::sync::Arc;\n",
        f"impl fmt::Display for {cls} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n"
        f"        write!(f, \"{{}}\", self.{fields[0]})\n    }}\n}}\n",
        f"#[derive(Debug, Clone, PartialEq)]\npub struct {cls} {{\n{struct}}}\n\nimpl Default for {cls} {{\n"
        f"    fn default() -> Self {{\n        Self {{\n" + "".join(f"            {f}: String::new(),\n" for f in fields)  # noqa: E501
        + "        }\n    }\n}\n",
        f"impl {cls} {{\n    pub fn new({', '.join(f + ': String' for f in fields)}) -> Self {{\n        Self {{ "
        f"{', '.join(fields)} }}\n    }}\n\n" + "".join(f"    pub fn {f}(&self) -> &str {{\n        &self.{f}\n    }}\n\n"  # noqa: E501
                                                     for f in fields) + "}\n",
        _comment("//", APACHE) + "\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn it_works() {\n"
        "        let result = 2 + 2;\n        assert_eq!(result, 4);\n    }\n}\n",
    ]


def java(cls: str, fields: tuple[str, ...]) -> list[str]:
    decl = "".join(f"    private String {f};\n" for f in fields)
    accessors = "".join(f"    public String get{_cap(f)}() {{\n        return {f};\n    }}\n\n"
                        f"    public void set{_cap(f)}(String {f}) {{\n        this.{f} = {f};\n    }}\n\n"
                        for f in fields)
    return [
        "import java.io.IOException;\nimport java.util.ArrayList;\nimport java.util.HashMap;\nimport java.util.List;\n"
        "import java.util.Map;\nimport java.util.Objects;\n",
        f"public class {cls} {{\n{decl}\n    public {cls}() {{\n    }}\n\n{accessors}}}\n",
        f"    @Override\n    public boolean equals(Object o) {{\n        if (this == o) return true;\n"
        f"        if (o == null || getClass() != o.getClass()) return false;\n        {cls} that = ({cls}) o;\n"
        f"        return Objects.equals({fields[0]}, that.{fields[0]}) && Objects.equals({fields[1]}, that.{fields[1]});\n"  # noqa: E501
        f"    }}\n\n    @Override\n    public int hashCode() {{\n        return Objects.hash({', '.join(fields)});\n    }}\n\n"  # noqa: E501
        f"    @Override\n    public String toString() {{\n        return \"{cls}{{\" + \"{fields[0]}=\" + {fields[0]} + \"}}\";\n"  # noqa: E501
        "    }\n",
        "/*\n" + _comment(" *", APACHE) + " */\n",
        f"public class {cls}Test {{\n    private {cls} {fields[0]};\n\n    @Before\n    public void setUp() {{\n"
        f"        {fields[0]} = new {cls}();\n    }}\n\n    @After\n    public void tearDown() {{\n        {fields[0]} = null;\n"  # noqa: E501
        "    }\n}\n",
        "    public static void main(String[] args) {\n        SpringApplication.run(Application.class, args);\n    }\n",  # noqa: E501
    ]


def c_like(cls: str, fields: tuple[str, ...], cpp: bool) -> list[str]:
    header = f"#ifndef {cls.upper()}_H\n#define {cls.upper()}_H\n\n#include <stdio.h>\n#include <stdlib.h>\n" \
             f"#include <string.h>\n#include <stdint.h>\n\n#endif /* {cls.upper()}_H */\n"
    main = "int main(int argc, char **argv) {\n    if (argc < 2) {\n        fprintf(stderr, \"usage: %s FILE\\n\", " \
           "argv[0]);\n        return 1;\n    }\n    return 0;\n}\n"
    out = [header, main, "/*\n" + _comment(" *", APACHE) + " */\n"]
    if cpp:
        getters = "".join(f"    const std::string& {f}() const {{ return {f}_; }}\n"
                          f"    void set_{f}(const std::string& v) {{ {f}_ = v; }}\n" for f in fields)
        out.append(f"class {cls} {{\n public:\n    {cls}() = default;\n    ~{cls}() = default;\n\n{getters}\n"
                   " private:\n" + "".join(f"    std::string {f}_;\n" for f in fields) + "};\n")
    else:
        out.append("typedef struct {\n" + "".join(f"    char *{f};\n" for f in fields) + f"}} {cls};\n\n"
                   f"{cls} *{cls.lower()}_new(void) {{\n    {cls} *r = calloc(1, sizeof(*r));\n    if (r == NULL)\n"
                   f"        return NULL;\n    return r;\n}}\n\nvoid {cls.lower()}_free({cls} *r) {{\n"
                   + "".join(f"    free(r->{f});\n" for f in fields) + "    free(r);\n}\n")
    return out


def ruby(cls: str, fields: tuple[str, ...]) -> list[str]:
    return [
        "require 'json'\nrequire 'set'\nrequire 'time'\nrequire 'fileutils'\nrequire_relative 'version'\n",
        f"class {cls}\n  attr_accessor {', '.join(':' + f for f in fields)}\n\n  def initialize({', '.join(fields)})\n"
        + "".join(f"    @{f} = {f}\n" for f in fields) + "  end\n\n  def to_s\n    \"#<" + cls + " #{@" + fields[0]
        + "}>\"\n  end\nend\n",
        _comment("#", APACHE) + "\nif __FILE__ == $0\n  main\nend\n",
        f"RSpec.describe {cls} do\n  let(:{fields[0]}) {{ described_class.new }}\n\n  before do\n"
        f"    allow(File).to receive(:exist?).and_return(true)\n  end\nend\n",
    ]


def lua(cls: str, fields: tuple[str, ...]) -> list[str]:
    return [
        f"local {cls} = {{}}\n{cls}.__index = {cls}\n\nfunction {cls}.new({', '.join(fields)})\n"
        f"  local self = setmetatable({{}}, {cls})\n" + "".join(f"  self.{f} = {f}\n" for f in fields)
        + f"  return self\nend\n\nreturn {cls}\n",
        "".join(f"function {cls}:get_{f}()\n  return self.{f}\nend\n\n" for f in fields),
        "local json = require(\"json\")\nlocal util = require(\"util\")\nlocal log = require(\"log\")\n",
        _comment("--", APACHE),
    ]


def boilerplate(language: str) -> list[str]:
    """Every template of `language` (a provguard language id; tsx as typescript) with every set of names."""
    out: list[str] = []
    for cls, fields in NAMES:
        if language == "python":
            out += python(cls, fields)
        elif language == "javascript":
            out += javascript(cls, fields)
        elif language in ("typescript", "tsx"):
            out += javascript(cls, fields, typed=True)
        elif language == "go":
            out += go(cls, fields)
        elif language == "rust":
            out += rust(cls, fields)
        elif language == "java":
            out += java(cls, fields)
        elif language in ("c", "cpp"):
            out += c_like(cls, fields, language == "cpp")
        elif language == "ruby":
            out += ruby(cls, fields)
        elif language == "lua":
            out += lua(cls, fields)
    return list(dict.fromkeys(out))
