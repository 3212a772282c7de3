from onnx import helper

from porter.torch_graph import embedding_arguments, readable_hint, source_module, source_variables


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


def _traced(op, inputs, outputs, code, op_name):
    node = helper.make_node(op, inputs, outputs)
    node.metadata_props.add(key="pkg.torch.onnx.name_scopes", value=f"['', 'attn', '{op_name}']")
    trace = f'File "modeling.py", line 7, in forward\n    {code}'
    node.metadata_props.add(key="pkg.torch.onnx.stack_trace", value=trace)
    return node


def test_values_are_named_by_the_source_line_that_assigned_them():
    from onnx import TensorProto

    nodes = [
        # `q = x.view(...).transpose(1, 2)`: two nodes, the last one's value is q; the shape it used is not
        _traced("Shape", ["x"], ["shape"], "q = x.view(shape).transpose(1, 2)", "view"),
        _traced("Reshape", ["x", "shape"], ["view"], "q = x.view(shape).transpose(1, 2)", "view"),
        _traced("Transpose", ["view"], ["transpose_3"], "q = x.view(shape).transpose(1, 2)", "transpose"),
        _traced("Split", ["transpose_3"], ["split_0", "split_1"], "q_pass, q_rot = torch.split(q, 2)", "split"),
        _traced("Concat", ["split_1", "split_0", "shape"], ["cat"], "return torch.cat((q_rot, q_pass))", "cat"),
        _traced("Relu", ["cat"], ["relu"], "self.cache = torch.relu(out)", "relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("relu", TensorProto.FLOAT, None)],
    )
    assert source_variables(graph) == {"transpose_3": "q", "split_0": "q_pass", "split_1": "q_rot"}


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
