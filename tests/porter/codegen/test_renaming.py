import numpy as np

from porter.codegen.renaming import apply, rename_locals, rename_program
from porter.codegen.statements import Statement, render_all
from porter.lower.structure import ClassDef


def _body(lines):
    return Statement.parse("\n".join(lines))


def _run(params, lines, returns, args):
    """Execute a forward body as a function of its parameters (numpy stands in for the framework)."""
    body = "\n".join(f"    {line}" for line in [*lines, f"return {', '.join(returns)}"])
    namespace = {"np": np}
    exec(f"def forward(self, {', '.join(params)}):\n{body}", namespace)  # test code of our own making

    class Layers:
        def k_proj(self, x):
            return x * 3.0

    return namespace["forward"](Layers(), *args)


def _renamed(params, lines, returns, preferred=None, hints=None):
    body, returns = _body(lines), list(returns)
    mapping = rename_locals(params, body, returns, preferred=preferred or {}, rebind=True, hints=hints)
    apply(mapping, body, returns)
    return mapping, render_all(body), returns


def test_a_chain_takes_the_layer_name_and_rebinds_it_like_a_hand_port():
    lines = [
        "view_1 = np.reshape(self.k_proj(x), [2, -1])",
        "transpose_1 = np.transpose(view_1, [1, 0])",
        "mul_4 = transpose_1 * x.shape[0]",
    ]
    mapping, new, returns = _renamed(["x"], lines, ["mul_4"])
    assert new == [
        "k = np.reshape(self.k_proj(x), [2, -1])",
        "k = np.transpose(k, [1, 0])",
        "k = k * x.shape[0]",
    ]
    assert returns == ["k"]
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(_run(["x"], new, returns, [x]), _run(["x"], lines, ["mul_4"], [x]))


def test_a_value_read_again_later_is_not_rebound():
    lines = ["a_1 = np.exp(x)", "b_2 = np.sin(a_1)", "c = b_2 + a_1 + x"]
    _, new, _ = _renamed(["x"], lines, ["c"])
    assert new == ["a = np.exp(x)", "b = np.sin(a)", "c = b + a + x"]


def test_a_size_read_is_not_the_subject_and_a_taken_name_is_derived():
    lines = ["arange = np.arange(x.shape[1])", "arange_1 = np.arange(x.shape[0])", "y = arange_1[:, None] + arange"]
    _, new, returns = _renamed(["x"], lines, ["y"])
    assert new[1] == "x_arange = np.arange(x.shape[0])"  # not `x = ...`: x is only asked for its size
    x = np.zeros((3, 4))
    np.testing.assert_array_equal(_run(["x"], new, returns, [x]), _run(["x"], lines, ["y"], [x]))


def test_the_value_a_loop_carries_is_hidden_states():
    lines = ["add_2 = self.embed(x)", "for layer in self.layers:", "    add_2 = layer(add_2, x)"]
    _, new, returns = _renamed(["x"], lines, ["add_2"])
    assert new[0] == "hidden_states = self.embed(x)" and new[2] == "    hidden_states = layer(hidden_states, x)"
    assert returns == ["hidden_states"]


def test_parameters_take_the_names_their_callers_pass_and_taps_keep_first_values():
    class Program:
        class_name = "Model"
        init_body = _body(["self.block = Block()"])
        input_names = ["ids"]
        forward_body = _body(
            [
                "unsqueeze_10 = np.cos(ids)",
                "unsqueeze_11 = np.sin(ids)",
                "out = self.block(unsqueeze_10, unsqueeze_11)",
            ]
        )
        return_exprs = ["out"]
        classes = [
            ClassDef("Block", [], ["unsqueeze", "unsqueeze_1"], _body(["mul_1 = unsqueeze * unsqueeze_1"]), ["mul_1"])
        ]
        value_map = [{"var": "unsqueeze_10", "value": "v1"}, {"var": "unsqueeze_11", "value": "v2"}]
        source_hints = {}

    rename_program(Program)
    # the model's input is never rebound, though this is its last read
    assert render_all(Program.forward_body)[:2] == ["unsqueeze = np.cos(ids)", "ids_unsqueeze = np.sin(ids)"]
    block = Program.classes[0]
    assert block.params == ["unsqueeze", "ids_unsqueeze"]
    assert render_all(block.forward_body) == ["unsqueeze = unsqueeze * ids_unsqueeze"]
    assert [row["var"] for row in Program.value_map] == ["unsqueeze", "ids_unsqueeze"]


def test_values_take_the_source_s_variable_names_rebound_as_the_source_does():
    lines = ["mul_3 = x * 2.0", "add_5 = mul_3 + x", "view_1 = np.reshape(add_5, [-1])", "out = view_1 + mul_3.sum()"]
    hints = {"mul_3": "scaled", "add_5": "hidden_states", "view_1": "hidden_states"}
    _, new, returns = _renamed(["x"], lines, ["out"], hints=hints)
    assert new == [
        "scaled = x * 2.0",
        "hidden_states = scaled + x",
        "hidden_states = np.reshape(hidden_states, [-1])",
        "out = hidden_states + scaled.sum()",
    ]
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(_run(["x"], new, returns, [x]), _run(["x"], lines, ["out"], [x]))


def test_a_source_name_still_holding_a_live_value_is_not_reused():
    lines = ["a_1 = np.exp(x)", "b_2 = np.sin(a_1)", "c = b_2 + a_1"]
    _, new, returns = _renamed(["x"], lines, ["c"], hints={"a_1": "h", "b_2": "h"})
    assert new == ["h = np.exp(x)", "b = np.sin(h)", "c = b + h"]  # b_2 as h would overwrite a_1 before its read
    x = np.arange(3.0)
    np.testing.assert_array_equal(_run(["x"], new, returns, [x]), _run(["x"], lines, ["c"], [x]))


def test_the_results_of_a_top_k_are_values_and_indices():
    lines = ["getitem_1, getitem_2 = _top_k(x)", "y = getitem_1 + getitem_2"]
    _, new, _ = _renamed(["x"], lines, ["y"])
    assert new[0] == "values, indices = _top_k(x)"


def test_a_parameter_takes_the_name_of_the_constant_its_callers_pass():
    class Program:
        class_name = "Model"
        init_body = _body(["self.block = Block()"])
        input_names = ["ids"]
        forward_body = _body(["out = self.block(ids, self.cos)"])
        return_exprs = ["out"]
        classes = [ClassDef("Block", [], ["x", "x_1"], _body(["mul_1 = x * x_1"]), ["mul_1"])]
        value_map = []
        source_hints = {}

    rename_program(Program)
    assert Program.classes[0].params == ["ids", "cos"]


def test_the_parts_of_a_split_are_named_after_what_is_split():
    """The exporter's `split_with_sizes_split, split_with_sizes_split_1` (its Split has no source line to
    name them) are the parts of q_states, in order."""
    lines = [
        "split_with_sizes_split, split_with_sizes_split_1 = paddle.split(q_states, [8, 8], axis=3)",
        "cat_2 = paddle.concat([split_with_sizes_split_1, split_with_sizes_split], axis=3)",
    ]
    _, new, _ = _renamed(["q_states"], lines, ["cat_2"])
    assert new[0] == "q_states_a, q_states_b = paddle.split(q_states, [8, 8], axis=3)"
    assert "paddle.concat([q_states_b, q_states_a], axis=3)" in new[1]


def test_a_value_computed_from_a_parameter_alone_is_named_after_it():
    """MoE experts' bank, transposed once it is read: `down_proj`, not `transpose_1` (`transpose` is taken)."""
    lines = [
        "transpose = paddle.transpose(x, [1, 0])",
        "transpose_1 = paddle.transpose(self.down_proj, [0, 2, 1])",
        "matmul_3 = paddle.matmul(transpose, transpose_1)",
    ]
    _, new, returns = _renamed(["x"], lines, ["matmul_3"])
    assert new[1] == "down_proj = paddle.transpose(self.down_proj, [0, 2, 1])", new


def test_a_split_written_as_slices_is_named_the_same_way():
    """MindSpore's even split of GPT-2's qkv: `(x[:, :32], x[:, 32:64], x[:, 64:96])`."""
    lines = ["split_split, split_split_1, split_split_2 = (qkv[:, :32], qkv[:, 32:64], qkv[:, 64:])"]
    _, new, returns = _renamed(["qkv"], lines, ["split_split + split_split_1 * split_split_2"])
    assert new[0].startswith("qkv_a, qkv_b, qkv_c = ") and returns == ["qkv_a + qkv_b * qkv_c"], (new, returns)
