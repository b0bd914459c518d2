"""Languages provguard understands: grammar, comment syntax and the syntactic units a marker can cover.

Every language-specific fact lives in this one table so adding a language is one entry and a test.
Grammars come from the tree-sitter org's per-language wheels, which bundle compiled parsers: nothing is
downloaded at run time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath

import tree_sitter as ts


@dataclass(frozen=True)
class CommentSyntax:
    """How the marker writer spells a comment in a language."""

    line: str | None = None
    block: tuple[str, str] | None = None


@dataclass(frozen=True)
class Language:
    id: str
    extensions: tuple[str, ...]
    comment: CommentSyntax
    grammar: tuple[str, str] | None = None
    """(module, function) returning the compiled grammar capsule; None for the line-based fallback."""
    comment_nodes: tuple[str, ...] = ("comment",)
    unit_nodes: tuple[str, ...] = ()
    """Node types a next-unit marker covers: functions, classes, methods and the like."""
    unit_prefix_nodes: tuple[str, ...] = ()
    """Nodes that may stand between a marker and its unit and belong to it (Rust attributes)."""
    language_ids: tuple[str, ...] = field(default=())
    """LSP languageId values besides `id`."""
    refuse: Callable[[bytes], str | None] | None = field(default=None, repr=False, compare=False)
    """Why a text must not be given to this grammar (its parser would crash on it), or None to parse it."""

    @property
    def has_grammar(self) -> bool:
        return self.grammar is not None

    def ts_language(self) -> ts.Language:
        if self.grammar is None:
            raise LookupError(f"{self.id} has no tree-sitter grammar")
        return _load_grammar(*self.grammar)

    def parser(self) -> ts.Parser:
        return ts.Parser(self.ts_language())

    def refusal(self, source: bytes) -> str | None:
        """Why `source` is read line by line instead of parsed (see `refuse`)."""
        return self.refuse(source) if self.refuse is not None else None


MAX_YAML_INDENT = 200
"""tree-sitter-yaml 0.7's scanner keeps one entry per open block level and overflows its fixed state buffer (a
segmentation fault) at about 255 levels. A level needs a column more than the one it is in, so no line whose
content starts before this column can be that deep: files whose content starts further right are not parsed."""


def _deep_yaml(source: bytes) -> str | None:
    """Linear: the column where each line's content starts, after indentation and block indicators."""
    for number, line in enumerate(source.split(b"\n"), 1):
        if len(line) > MAX_YAML_INDENT and len(line[:MAX_YAML_INDENT + 1].lstrip(b" \t-?:")) == 0:
            return (f"line {number} nests deeper than {MAX_YAML_INDENT} columns, past what the YAML grammar "
                    "parses safely: read line by line")
    return None


@cache
def _load_grammar(module: str, function: str) -> ts.Language:
    loader: Callable[[], object] = getattr(importlib.import_module(module), function)
    return ts.Language(loader())


_C_LIKE = CommentSyntax(line="//", block=("/*", "*/"))
_HASH = CommentSyntax(line="#")
_JS_UNITS = (
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "method_definition",
    "lexical_declaration",
    "variable_declaration",
    "export_statement",
)
_TS_UNITS = (
    *_JS_UNITS,
    "abstract_class_declaration",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
    "function_signature",
)

LANGUAGES: tuple[Language, ...] = (
    Language(
        "python",
        (".py", ".pyi", ".pyw"),
        _HASH,
        ("tree_sitter_python", "language"),
        unit_nodes=("decorated_definition", "function_definition", "class_definition"),
    ),
    Language(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        _C_LIKE,
        ("tree_sitter_javascript", "language"),
        unit_nodes=_JS_UNITS,
        language_ids=("javascriptreact",),
    ),
    Language(
        "typescript",
        (".ts", ".mts", ".cts"),
        _C_LIKE,
        ("tree_sitter_typescript", "language_typescript"),
        unit_nodes=_TS_UNITS,
    ),
    Language(
        "tsx",
        (".tsx",),
        _C_LIKE,
        ("tree_sitter_typescript", "language_tsx"),
        unit_nodes=_TS_UNITS,
        language_ids=("typescriptreact",),
    ),
    Language(
        "go",
        (".go",),
        _C_LIKE,
        ("tree_sitter_go", "language"),
        unit_nodes=("function_declaration", "method_declaration", "type_declaration"),
    ),
    Language(
        "rust",
        (".rs",),
        _C_LIKE,
        ("tree_sitter_rust", "language"),
        comment_nodes=("line_comment", "block_comment"),
        unit_nodes=("function_item", "impl_item", "struct_item", "enum_item", "trait_item", "mod_item"),
        unit_prefix_nodes=("attribute_item",),
    ),
    Language(
        "java",
        (".java",),
        _C_LIKE,
        ("tree_sitter_java", "language"),
        comment_nodes=("line_comment", "block_comment"),
        unit_nodes=(
            "class_declaration",
            "interface_declaration",
            "enum_declaration",
            "record_declaration",
            "method_declaration",
            "constructor_declaration",
        ),
    ),
    Language(
        "c",
        (".c", ".h"),
        _C_LIKE,
        ("tree_sitter_c", "language"),
        unit_nodes=("function_definition", "struct_specifier", "type_definition"),
    ),
    Language(
        "cpp",
        (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"),
        _C_LIKE,
        ("tree_sitter_cpp", "language"),
        unit_nodes=(
            "function_definition",
            "class_specifier",
            "struct_specifier",
            "namespace_definition",
            "template_declaration",
        ),
    ),
    Language(
        "ruby",
        (".rb", ".rake", ".gemspec"),
        _HASH,
        ("tree_sitter_ruby", "language"),
        unit_nodes=("method", "singleton_method", "class", "module"),
    ),
    Language(
        "lua",
        (".lua",),
        CommentSyntax(line="--", block=("--[[", "]]")),
        ("tree_sitter_lua", "language"),
        unit_nodes=("function_declaration",),
    ),
    Language(
        "yaml",
        (".yaml", ".yml"),
        _HASH,
        ("tree_sitter_yaml", "language"),
        unit_nodes=("block_mapping_pair", "block_sequence_item"),
        refuse=_deep_yaml,
    ),
)

PLAIN = Language("plaintext", (), _HASH)
"""Fallback for files no grammar covers: markers are read line by line, a next-unit marker covers the
following paragraph."""

PLAIN_COMMENT_PREFIXES: tuple[str, ...] = ("#", "//", "--", ";", "%", "/*", "<!--")

_BY_ID = {lang.id: lang for lang in LANGUAGES}
_BY_LANGUAGE_ID = {lid: lang for lang in LANGUAGES for lid in (lang.id, *lang.language_ids)}
_BY_EXTENSION = {ext: lang for lang in LANGUAGES for ext in lang.extensions}


def by_id(language_id: str) -> Language | None:
    """The language with this provguard id (the names packs use)."""
    return _BY_ID.get(language_id)


def known_ids() -> tuple[str, ...]:
    return tuple(_BY_ID)


def detect(path: str | None, language_id: str | None = None) -> Language:
    """The language for an LSP languageId, else for the path's extension, else the line-based fallback."""
    if language_id and language_id in _BY_LANGUAGE_ID:
        return _BY_LANGUAGE_ID[language_id]
    if path:
        found = _BY_EXTENSION.get(PurePath(path).suffix.lower())
        if found is not None:
            return found
    return PLAIN
