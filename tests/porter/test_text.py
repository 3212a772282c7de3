"""Escaping at one boundary: terminal control characters, rich markup and HTML."""

from rich.console import Console
from rich.table import Table

from porter.text import html_text, markup, plain

HOSTILE = ["\x1b[2J\x1b[Hready to convert", "a\rb", "x\ny", "\u202etxt.exe", "[/]", "[bold]x[/bold]", "tail\\"]


def test_plain_shows_control_characters_instead_of_obeying_them():
    assert plain("\x1b[2J\x1b[Hready") == "\\x1b[2J\\x1b[Hready"
    assert plain("a\rb\x7f\x9b") == "a\\x0db\\x7f\\x9b"
    assert plain("x\ny") == "x\\x0ay" and plain("x\ny", newlines=True) == "x\ny"
    assert plain("\u202etxt.exe") == "\\u202etxt.exe"
    assert plain("名前 ok") == "名前 ok"  # printable text, CJK included, is kept


def test_markup_survives_rich_tables_and_titles():
    console = Console(record=True, width=200, color_system=None)
    for text in HOSTILE:
        table = Table(title=markup(text))
        table.add_column(markup(text))
        table.add_row(markup(text))
        console.print(table)
    shown = console.export_text()
    assert "\x1b" not in shown and "\r" not in shown
    assert shown.count("[/]") == 3 and shown.count("[bold]x[/bold]") == 3


def test_html_text_escapes_markup_and_quotes():
    assert html_text('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert html_text(7) == "7"
