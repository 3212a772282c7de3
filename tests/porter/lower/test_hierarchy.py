from onnx import helper

from porter.graphs import live_nodes
from porter.lower.hierarchy import build_module_tree
from tests.porter.scoped_models import scoped, stacked_blocks


def _tree(model):
    graph = model.graph
    weights = {i.name for i in graph.initializer}
    return build_module_tree(graph, live_nodes(graph), weights)


def test_no_metadata_no_tree():
    assert _tree(stacked_blocks(metadata=False)) is None


def test_scopes_follow_the_module_paths():
    tree = _tree(stacked_blocks(2))
    paths = [s.path for s in tree.scopes()]
    assert paths == ["", "blocks.0", "blocks.0.fc", "blocks.1", "blocks.1.fc", "head"]
    assert [s.class_name for s in tree.scopes()][:3] == ["Net", "Block", "Linear"]


def test_weightless_leaf_modules_are_part_of_their_parent():
    model = stacked_blocks(2)
    tree = _tree(model)
    relu = next(i for i, n in enumerate(model.graph.node) if n.op_type == "Relu")
    assert tree.node_scope[relu].path == "blocks.0"  # the ReLU module holds no weights: no class of its own


def test_a_value_shared_between_sibling_blocks_is_computed_by_their_parent():
    # the exporter computed Abs(x) once inside block 0 and reuses it in block 1 (a shared subexpression)
    model = stacked_blocks(2)
    nodes = model.graph.node
    shared = scoped(helper.make_node("Abs", ["x"], ["shared"]), [("blocks.0", "tests.Block")], "abs")
    use0 = scoped(helper.make_node("Add", ["relu_0", "shared"], ["mixed_0"]), [("blocks.0", "tests.Block")], "add")
    nodes.insert(2, shared)
    nodes.insert(4, use0)
    nodes[5].input[1] = "mixed_0"  # block 0's residual reads the shared value's sum
    relu1 = next(n for n in nodes if n.op_type == "Relu" and n.output[0] == "relu_1")
    relu1.input[0] = "shared"  # block 1 reads it too
    tree = _tree(model)
    index = list(nodes).index(shared)
    assert tree.node_scope[index].path == ""


def test_size_arithmetic_a_block_returns_to_its_sibling_moves_to_the_parent_with_its_inputs():
    # the exporter computed a size from x inside block 0 (Shape, then * 1) and block 1 reshapes by it:
    # the whole computation, not only its last node, belongs to their parent
    model = stacked_blocks(2)
    nodes = model.graph.node
    block0 = [("blocks.0", "tests.Block")]
    made = [
        scoped(helper.make_node("Shape", ["x"], ["size"]), block0, "sym_size"),
        scoped(helper.make_node("Constant", [], ["one"], value_ints=[1]), block0, "lift"),
        scoped(helper.make_node("Mul", ["size", "one"], ["size_1"]), block0, "mul"),
    ]
    for offset, node in enumerate(made):
        nodes.insert(offset, node)
    relu1 = next(n for n in nodes if n.op_type == "Relu" and n.output[0] == "relu_1")
    reshape = scoped(
        helper.make_node("Reshape", ["relu_1", "size_1"], ["relu_1r"]), [("blocks.1", "tests.Block")], "view"
    )
    nodes.insert(list(nodes).index(relu1) + 1, reshape)
    add1 = next(n for n in nodes if n.op_type == "Add" and n.output[0] == "add_1")
    add1.input[1] = "relu_1r"
    tree = _tree(model)
    assert [tree.node_scope[list(nodes).index(n)].path for n in made] == ["", "", ""]
    assert tree.node_scope[list(nodes).index(reshape)].path == "blocks.1"


def test_a_blocks_result_computed_from_its_weights_stays_in_the_block():
    tree = _tree(stacked_blocks(2))
    # block 0's output (read by block 1) depends on block 0's Linear weight: ordinary data flow
    assert {s.path for s in tree.node_scope.values()} >= {"blocks.0", "blocks.1"}
