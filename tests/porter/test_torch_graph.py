from onnx import helper

from porter.torch_graph import readable_hint, source_module


def _node(scopes: str):
    node = helper.make_node("Concat", ["a", "b"], ["val_158"], axis=-1)
    node.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=scopes)
    return node


def test_the_module_is_the_scope_before_the_op():
    assert source_module(_node("['', 'layers.0', 'layers.0.self_attn', 'cat']")) == "layers.0.self_attn"
    assert source_module(helper.make_node("Relu", ["x"], ["y"])) == ""  # no metadata: no module


def test_a_made_up_name_reads_as_module_and_op_and_a_real_name_stays():
    node = _node("['', 'layers.0', 'layers.0.self_attn', 'cat']")
    assert readable_hint(node, "val_158") == "layers.0.self_attn.concat"
    assert readable_hint(node, "linear_3") == "linear_3"
