"""The daemon's wire format: one message each way, each ended by the sender closing its side.

A message is a header line, `provguard-daemon/1 <word> <identity>\n`, then fields, each an ASCII length,
a newline and that many bytes. A request's word is its operation (`guard`, `hook`, `status`, `stop`); a reply's
is `ok` or `refused`. The identity (place.identity) makes a daemon of another provguard refuse the call rather
than answer it with other code. Fields are bytes, so the environment and paths travel exactly as the
operating system gave them (no JSON, which would also cost the client the `re` import). A `serve` call comes
with descriptors attached and is answered by two one-field messages, `started` and then `exited` or `killed`,
on a connection that stays open for the session (session.py, fork.py).
"""

from __future__ import annotations

MAGIC = b"provguard-daemon/1"
MAX_MESSAGE = 256 * 1024 * 1024
"""A request past this is refused (the call is judged in-process); far above any agent payload."""
OPERATIONS = ("guard", "hook", "status", "stop", "serve")


class WireError(Exception):
    """A message that is not one: cut short, garbled, or too large."""


def encode(word: str, identity: str, fields: list[bytes]) -> bytes:
    parts = [b"%s %s %s\n" % (MAGIC, word.encode("ascii"), identity.encode("ascii"))]
    for value in fields:
        parts.append(b"%d\n" % len(value))
        parts.append(value)
    return b"".join(parts)


def decode(message: bytes) -> tuple[str, str, list[bytes]]:
    """(word, identity, fields) of a whole message; WireError saying where it is broken."""
    end = message.find(b"\n", 0, 256)
    if end < 0:
        raise WireError("no header line in the first 256 bytes")
    header = message[:end].split(b" ")
    if len(header) != 3 or header[0] != MAGIC:
        raise WireError(f"not a provguard-daemon/1 header: {message[:end][:80]!r}")
    try:
        word, identity = header[1].decode("ascii"), header[2].decode("ascii")
    except UnicodeDecodeError:
        raise WireError("header is not ASCII") from None
    fields: list[bytes] = []
    at = end + 1
    while at < len(message):
        newline = message.find(b"\n", at, at + 21)
        digits = message[at:newline]
        if newline < 0 or not digits.isdigit():
            raise WireError(f"field {len(fields) + 1}: no length at byte {at}")
        size = int(digits)
        start = newline + 1
        if start + size > len(message):
            raise WireError(f"field {len(fields) + 1}: {size} bytes announced at byte {at}, "
                            f"{len(message) - start} sent")
        fields.append(message[start:start + size])
        at = start + size
    return word, identity, fields


def join(values: list[bytes]) -> bytes:
    """A list of NUL-free byte strings (argv, environment entries) as one field, each ended by a NUL (so an
    empty list and a list of one empty string differ)."""
    return b"".join(value + b"\0" for value in values)


def split(field: bytes) -> list[bytes]:
    return field.split(b"\0")[:-1]


def text(value: str) -> bytes:
    """Output text as it was produced, lone surrogates included, so the client writes exactly the same."""
    return value.encode("utf-8", "surrogatepass")


def untext(value: bytes) -> str:
    return value.decode("utf-8", "surrogatepass")


def where(cwd: bytes, umask: bytes, environ: bytes) -> tuple[int, dict[bytes, bytes]] | str:
    """A caller's umask and environment, as a call or a session sends them with its working folder, or what is
    wrong with them (the daemon puts them on before it runs anything for the caller)."""
    if not umask.isdigit() or not cwd.startswith(b"/"):
        return "the umask or working folder is not valid"
    entries: dict[bytes, bytes] = {}
    for entry in split(environ):
        key, sep, value = entry.partition(b"=")
        if not sep or not key:
            return f"environment entry without a name: {entry[:40]!r}"
        entries[key] = value
    return int(umask), entries
