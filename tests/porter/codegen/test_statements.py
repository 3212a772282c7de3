"""The statement IR: what a statement stores and reads, substitution of names, rendering."""

import ast

import pytest

from porter.codegen.statements import Statement, call, render_all, substitute_expr


def test_substitution_replaces_names_never_attributes_keywords_or_strings():
    stmt = Statement.one("y = f(x, x=x, s='x') + self.x + x.shape[0]")
    assert stmt.substituted({"x": "h"}).render() == "y = f(h, x=h, s='x') + self.x + h.shape[0]"
    assert Statement.one("a, b = self.fc(x)").substituted({"self.fc": "self.layers[0]"}).render() == (
        "a, b = self.layers[0](x)"
    )
    assert stmt.render() == "y = f(x, x=x, s='x') + self.x + x.shape[0]"  # the original is unchanged


def test_an_expression_put_in_place_of_a_name_keeps_its_precedence():
    assert substitute_expr("t * c", {"t": "a + b"}) == "(a + b) * c"
    assert substitute_expr("f(t)", {"t": "a + b"}) == "f(a + b)"


def test_stores_loads_and_subjects_in_reading_order():
    stmt = Statement.one("k = paddle.reshape(self.k_proj(x), [h.shape[0], -1])")
    assert stmt.stores == ["k"] and stmt.single_target == "k"
    assert stmt.loads == ["paddle", "self", "x", "h"]
    assert "h" not in stmt.subjects()  # only asked for its size
    assert stmt.layer_calls() == ["k_proj"]
    loop = Statement.one("for layer in self.layers:\n    h = layer(h)")
    assert loop.is_block and loop.is_loop and loop.stores == ["layer", "h"] and loop.reads("h") == 1


def test_statements_built_from_parts_render_as_python():
    stmt = Statement.assign(["a", "b"], call("paddle.split", "x", 2, axis=1))
    assert stmt.render() == "a, b = paddle.split(x, 2, axis=1)"
    assert Statement.declare("fc", call("nn.Linear", 8, 4)).render() == "self.fc = nn.Linear(8, 4)"
    assert Statement.declare("fc", "nn.Linear(8, 4)").attribute_target == "fc"
    assert render_all(Statement.parse("if bool(c):\n    y = a\nelse:\n    y = b")) == [
        "if bool(c):",
        "    y = a",
        "else:",
        "    y = b",
    ]
    assert isinstance(stmt.value, ast.Call)


def test_text_that_is_not_python_is_named_in_the_error():
    with pytest.raises(ValueError, match="paddle.relu\\(x"):
        Statement.parse("y = paddle.relu(x")
