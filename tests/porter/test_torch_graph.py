from onnx import helper

from porter.torch_graph import embedding_arguments, readable_hint, source_module


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


def _embedding(fx_node: str | None):
    node = helper.make_node("Gather", ["embed.weight", "ids"], ["embedding"])
    if fx_node is not None:
        node.metadata_props.add(key="pkg.torch.onnx.fx_node", value=fx_node)
    return node


def test_the_embedding_call_s_arguments_come_from_the_exporter_s_metadata():
    call = "%embedding : [num_users=1] = call_function[target=torch.ops.aten.embedding.default]"
    args = embedding_arguments(_embedding(f"{call}(args = (%p_embed_weight, %input_ids, 0), kwargs = {{}})"))
    assert args == {"weight": "%p_embed_weight", "indices": "%input_ids", "padding_idx": "0"}
    args = embedding_arguments(_embedding(f"{call}(args = (%p_w, %ids), kwargs = {{padding_idx: 3}})"))
    assert args["padding_idx"] == "3"
    args = embedding_arguments(_embedding(f"{call}(args = (%p_w, %ids, -1, True), kwargs = {{}})"))
    assert args["padding_idx"] == "-1" and args["scale_grad_by_freq"] == "True"
    assert embedding_arguments(_embedding(None)) is None  # an ONNX file: nothing recorded
    other = "%add : [num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%x, %y), kwargs = {})"
    assert embedding_arguments(_embedding(other)) is None
