"""Turn names from a model into safe, readable, unique Python identifiers.

Names come from untrusted files: they never reach generated source except through `identifier`,
which keeps only [A-Za-z0-9_], avoids keywords, builtins and the names the generated module itself
uses, and de-duplicates.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

# Names the generated module binds or relies on; a model name must never shadow them.
RESERVED = frozenset(
    {"self", "np", "os", "nn", "ops", "paddle", "mindspore", "ms", "load_model", "Model", "super", "F"}
    | set(dir(builtins))
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
)

_IDENT_CHARS = re.compile(r"[^0-9a-zA-Z_]+")


def identifier(raw: str, fallback: str = "v") -> str:
    """A valid, non-reserved Python identifier that reads like `raw` (not yet unique)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = unicodedata.normalize("NFKD", raw or "").encode("ascii", "ignore").decode("ascii")
    text = _IDENT_CHARS.sub("_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    if text in RESERVED or text.startswith("__"):
        text = f"{text}_"
    if len(text) > 60:  # long names stay recognisable without flooding the generated code
        text = text[:60].rstrip("_") or fallback
    return text


class Namer:
    """Hands out unique identifiers within one scope."""

    def __init__(self, taken: set[str] | None = None):
        self._taken: set[str] = set(taken or ())

    def fresh(self, raw: str, fallback: str = "v") -> str:
        base = identifier(raw, fallback)
        name, i = base, 1
        while name in self._taken or name in RESERVED:
            name = f"{base}_{i}"
            i += 1
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._taken.add(name)
