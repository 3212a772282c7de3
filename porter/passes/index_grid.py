"""Advanced indexing with whole aranges is a view: `GatherND(x, indices)` whose index tuple, one component per axis
of x, is `arange(x.shape[k])` laid along axis p_k of the index grid (size 1 on the grid's other axes), with
p_0 < p_1 < ..., picks x[i_0, i_1, ...] at the grid position that holds i_k on axis p_k: x itself with size-1
axes inserted everywhere else, `Unsqueeze(x, other axes)`.

transformers' masking utilities build the causal mask this way (a mask function of batch, query and key/value
indices, `position_ids[batch_idx, q_idx]`), which torch.onnx writes as a GatherND on a grid of
Range / Unsqueeze / Expand / Concat nodes: about twenty lines of index building and a gather helper in the port,
where a hand port writes `position_ids[:, None, :, None]`. The rewrite is exact (the same elements in the same
places); the index-building nodes are then dead and go with the pipeline's dead-code removal.

Every condition is proved on the graph: the components are Range(0, n, 1) of int type with n the size of x's
axis k (the same number, or the same symbolic dim of the exporter's shapes), each moved to its own grid axis
by Unsqueeze and broadcast by Expand only, and the grid's other axes are of size 1. The shapes are the exporter's
(the value_info of the protos, read by porter.passes.screen.value_shapes): onnx_ir reads the graph without them.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from porter.passes.matching import RewritePass, axes, constant, is_onnx, produced_by, replace

Dims = tuple  # a value's shape: ints, symbolic dim names, None where unknown


def _is_int(value: ir.Value | None, expected: int) -> bool:
    array = constant(value)
    return array is not None and array.size == 1 and array.dtype.kind in "iu" and int(array.reshape(-1)[0]) == expected


def _known(dim) -> bool:
    return isinstance(dim, int) or (isinstance(dim, str) and bool(dim))


class IndexGridPass(RewritePass):
    def __init__(self, shapes: dict[str, Dims]):
        super().__init__()
        self.shapes = shapes

    def _shape(self, value: ir.Value | None) -> Dims | None:
        return None if value is None or value.name is None else self.shapes.get(value.name)

    def rewrite(self, node: ir.Node) -> int:
        if node.op_type != "GatherND" or not is_onnx(node) or len(node.inputs) != 2:
            return 0
        batch_dims = node.attributes.get("batch_dims")
        if batch_dims is not None and batch_dims.as_int() != 0:
            return 0
        data, indices = node.inputs
        data_shape, grid = self._shape(data), self._shape(node.outputs[0])
        if data is None or data_shape is None or grid is None or not all(map(_known, (*data_shape, *grid))):
            return 0
        placed = self._grid_axes(indices, data_shape, grid)
        if placed is None or placed != sorted(set(placed)):
            return 0
        others = [axis for axis in range(len(grid)) if axis not in placed]
        if not others or any(grid[axis] != 1 for axis in others):
            return 0
        added = ir.node(
            "Constant", [], {"value": ir.tensor(np.array(others, dtype=np.int64))}, name=f"{node.name}_axes"
        )
        added.outputs[0].name = f"{node.outputs[0].name}_axes"
        node.graph.insert_before(node, added)
        # since 13: Unsqueeze reads its axes from an input (the model's own opset may be older)
        replace(node, [node], "Unsqueeze", [data, added.outputs[0]], {}, 13)
        return 1

    def _grid_axes(self, indices: ir.Value | None, data_shape: Dims, grid: Dims) -> list[int] | None:
        """The grid axis of each index component, when component k is arange(data_shape[k]) along it."""
        concat = produced_by(indices, "Concat")
        rank = len(grid)
        if concat is None or len(concat.inputs) != len(data_shape) or concat.attributes.get("axis") is None:
            return None
        if concat.attributes["axis"].as_int() not in (-1, rank):
            return None
        placed = []
        for k, component in enumerate(concat.inputs):
            unsqueeze = produced_by(component, "Unsqueeze")
            if unsqueeze is None or not self._last_axis_added(unsqueeze, rank):
                return None
            spread = unsqueeze.inputs[0]
            expand = produced_by(spread, "Expand")
            laid = expand.inputs[0] if expand is not None else spread
            axis = self._arange_axis(laid, data_shape[k], rank)
            if axis is None or grid[axis] != data_shape[k]:
                return None
            placed.append(axis)
        return placed

    @staticmethod
    def _last_axis_added(unsqueeze: ir.Node, rank: int) -> bool:
        """The Unsqueeze adds one axis after the grid's `rank` axes (the index tuple's axis)."""
        found = axes(unsqueeze)
        return found is not None and len(found) == 1 and found[0] in (-1, rank)

    def _arange_axis(self, laid: ir.Value | None, size, rank: int) -> int | None:
        """The axis along which `laid` (of rank `rank`) holds Range(0, size, 1), its other axes of size 1."""
        shape = self._shape(laid)
        if shape is None or len(shape) != rank:
            return None
        along = [axis for axis, dim in enumerate(shape) if dim != 1]
        if len(along) != 1 or shape[along[0]] != size:
            return None
        current = laid
        while (unsqueeze := produced_by(current, "Unsqueeze")) is not None:
            current = unsqueeze.inputs[0]
        arange = produced_by(current, "Range")
        if arange is None or not _is_int(arange.inputs[0], 0) or not _is_int(arange.inputs[2], 1):
            return None
        if self._shape(arange.outputs[0]) != (size,):
            return None
        return along[0]
