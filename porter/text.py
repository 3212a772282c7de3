"""Escaping at one boundary: every string that came from a file (a model's names, a results file's
fields, a path) is escaped here for the medium it is shown in, and nowhere else.

- plain(): a terminal line. Control characters (ANSI escapes that clear the screen or move the cursor,
  carriage returns that overwrite a line, newlines that fake another line) and bidirectional overrides
  (which reorder what is shown) become visible `\\x1b`-style escapes. Printable text, CJK included, is kept.
- markup(): a string rich parses as console markup (table cells, titles, status lines): plain(), then
  rich's own escaping, so `[/]` or `[link=...]` in a name is shown, not interpreted (or raised on).
- html_text(): HTML text or attribute values (html.escape with quotes).
"""

from __future__ import annotations

import html
import re

# C0 and C1 controls, DEL, and the bidirectional embedding/override/isolate characters
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(value, *, newlines: bool = False) -> str:
    """`value` as text safe to print on a terminal; `newlines=True` keeps line breaks (for multi-line text)."""
    text = str(value)
    if newlines:
        return "\n".join(_UNSAFE.sub(_visible, line) for line in text.split("\n"))
    return _UNSAFE.sub(_visible, text)


def markup(value) -> str:
    """`value` for a place where rich parses console markup."""
    from rich.markup import escape

    return escape(plain(value))


def html_text(value) -> str:
    """`value` for HTML text or a quoted attribute value."""
    return html.escape(str(value), quote=True)
