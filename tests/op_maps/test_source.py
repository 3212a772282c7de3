"""Helper sources are read when a node needs them, not when the mapping tables are imported."""

import inspect

from porter.op_maps._source import lazy_source
from tests.fresh_process import json_result


def _twice(x):
    return 2 * x


def test_the_parts_joined_functions_as_their_source_read_once(monkeypatch):
    text = lazy_source(_twice, "\n\nY = {name}\n")
    calls = []
    real = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda obj: calls.append(obj) or real(obj))
    assert text() == real(_twice) + "\n\nY = {name}\n"
    assert text() is text() and calls == [_twice]


def test_importing_the_tables_reads_no_source():
    # a fresh interpreter: in this one the tables are imported already
    script = (
        "import inspect, json; read = []; real = inspect.getsource\n"
        "inspect.getsource = lambda obj: read.append(obj.__name__) or real(obj)\n"
        "import porter.op_maps.paddle, porter.op_maps.mindspore\n"
        "print(json.dumps(read))"
    )
    assert json_result(script) == []
