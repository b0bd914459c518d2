"""A recorded edit's text read as the code it was part of: class members parsed inside a class body.

An agent often writes one method or constructor of a class: `Edit` replaces it inside the class, and the hook
records only the new text. JavaScript and TypeScript read a lone `fetchAll(urls: string[]): Promise<R[]> {` as a
call followed by a syntax error, so its tokens, and every fingerprint made of them, differ from those of the same
method read in any class, where its copies stand: a copy found in a host's class shared about four of five of its
fingerprints, and a renamed one too few (fingerprint scheme 3). A text that its grammar reads with an error, and
reads without one inside a class body, is tokenised there (`PRINT_SCHEME` 4). Python, Go, Rust, Ruby, Java and C++
read a lone method as the method it is.
"""

from __future__ import annotations

from provguard.languages import Language
from provguard.provenance.tokens import Columns, plain_token_columns, tree_token_columns

CLASS_BODIES: dict[str, tuple[bytes, bytes]] = {
    "javascript": (b"class _ {\n", b"\n}\n"),
    "typescript": (b"class _ {\n", b"\n}\n"),
    "tsx": (b"class _ {\n", b"\n}\n"),
}
"""Per language id: the text before and after a fragment that makes it a class body."""


def fragment_tokens(source: bytes, language: Language) -> Columns:
    """The tokens of `source`, a dedented recorded edit: read inside a class body when its grammar reads it alone
    with an error and inside a class without one (rows are then those of the wrapped text); else as it is."""
    if not language.has_grammar or language.refusal(source) is not None:
        return plain_token_columns(source, 0, None, 0)
    parser = language.parser()
    tree = parser.parse(source)
    wrapper = CLASS_BODIES.get(language.id)
    if wrapper is not None and tree.root_node.has_error:
        before, after = wrapper
        wrapped = before + source + after
        inside = parser.parse(wrapped)
        if not inside.root_node.has_error:
            return tree_token_columns(inside, language, len(before), len(before) + len(source), wrapped)
    return tree_token_columns(tree, language, 0, None, source)
