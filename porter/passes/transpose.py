"""Transpose composition: `Transpose(Transpose(x, p1), p2)` is one `Transpose(x, p1[p2])`; an axis added
only to be moved and removed again, `Squeeze(Transpose(Unsqueeze(x, a), p), b)` with `p[b] == a`, is one
transpose of x; a transpose of x's trailing axes done on x with its leading axes merged,
`Reshape(Transpose(Reshape(x, [-1, a, b]), [0, 2, 1]), [B, H, b, a])` for x [B, H, a, b], is one
`Transpose(x, [0, 1, 3, 2])` (proved on the exporter's shapes: the first reshape keeps x's trailing dims, the
transpose leaves the merged axis first, the last reshape splits it back into x's leading dims); and a transpose
that leaves every axis in place is dropped.

torch.onnx writes each `.transpose()` / `.permute()` / `.unsqueeze()` of the source as its own node, so a
module that permutes a permuted tensor (nn.MultiheadAttention's key, [1, 0, 2] then [0, 2, 1]) or unpacks a
packed projection (`unflatten(...).unsqueeze(0).transpose(0, -2).squeeze(-2)`) lowers to several calls where
one reads the same; torch's SDPA decomposition transposes a key of grouped-query attention with its batch and
head axes merged. Moving axes is exact, so the result is the same numbers. A node is merged only when nothing
else reads its output (else both would be computed).
"""

from __future__ import annotations

import onnx_ir as ir

from porter.passes.matching import RewritePass, axes, is_onnx, replace, sole


def permutation(node: ir.Node, rank: int | None) -> list[int] | None:
    """A Transpose's perm (its default, the reversed axes, needs the rank)."""
    perm = node.attributes.get("perm")
    if perm is not None:
        return list(perm.as_ints())
    return None if rank is None else list(reversed(range(rank)))


def _rank(value: ir.Value | None) -> int | None:
    return None if value is None or value.shape is None else len(value.shape)


def _single_axis(node: ir.Node, rank: int) -> int | None:
    """The one axis of an Unsqueeze / Squeeze (an attribute before opset 13, an input from then on), made
    non-negative for `rank` (the rank the axis indexes into)."""
    found = axes(node)
    if found is None or len(found) != 1 or not -rank <= found[0] < rank:
        return None
    return found[0] % rank


def _moved_axis(squeeze: ir.Node) -> tuple[ir.Node, ir.Node, list[int]] | None:
    """For Squeeze(Transpose(Unsqueeze(x, a), p), b) with p[b] == a: (unsqueeze, transpose, the permutation
    of x that gives the same tensor)."""
    transpose = sole(squeeze.inputs[0], "Transpose")
    unsqueeze = transpose and sole(transpose.inputs[0], "Unsqueeze")
    if unsqueeze is None or unsqueeze.inputs[0] is None:
        return None
    # the permutation's length is the rank (the pipeline reads the graph without its inferred shapes)
    perm = permutation(transpose, _rank(transpose.inputs[0]))
    if perm is None:
        return None
    rank = len(perm) - 1
    added, removed = _single_axis(unsqueeze, rank + 1), _single_axis(squeeze, rank + 1)
    if added is None or removed is None or perm[removed] != added:
        return None
    return unsqueeze, transpose, [axis - (axis > added) for i, axis in enumerate(perm) if i != removed]


def _known(dims) -> bool:
    return dims is not None and all(isinstance(d, int) or (isinstance(d, str) and d) for d in dims)


class TransposePass(RewritePass):
    def __init__(self, shapes: dict[str, tuple] | None = None):
        super().__init__()
        self.shapes = shapes or {}  # the exporter's shapes (porter.passes.screen.value_shapes)

    def _shape(self, value: ir.Value | None) -> tuple | None:
        return None if value is None or value.name is None else self.shapes.get(value.name)

    def _merged_transpose(self, reshape: ir.Node) -> tuple[ir.Node, ir.Node, list[int]] | None:
        """For Reshape(Transpose(Reshape(x), p)) that merges x's leading axes, moves the others and splits the
        merged axis back: (inner reshape, transpose, the permutation of x that gives the same tensor)."""
        transpose = sole(reshape.inputs[0], "Transpose")
        inner = transpose and sole(transpose.inputs[0], "Reshape")
        if inner is None or inner.inputs[0] is None:
            return None
        x, merged, moved = (
            self._shape(inner.inputs[0]),
            self._shape(inner.outputs[0]),
            self._shape(transpose.outputs[0]),
        )
        out = self._shape(reshape.outputs[0])
        if not all(_known(s) for s in (x, merged, moved, out)) or len(merged) < 2:
            return None
        perm = permutation(transpose, len(merged))
        lead = len(x) - len(merged) + 1  # how many of x's leading axes the first reshape merged
        if perm is None or perm[0] != 0 or lead < 1 or tuple(merged[1:]) != tuple(x[lead:]):
            return None
        if tuple(out) != (*x[:lead], *moved[1:]):
            return None
        return inner, transpose, [*range(lead), *(lead - 1 + axis for axis in perm[1:])]

    def rewrite(self, node: ir.Node) -> int:
        if not is_onnx(node) or not node.inputs or node.inputs[0] is None:
            return 0
        if node.op_type == "Reshape" and self.shapes:
            found = self._merged_transpose(node)
            if found is None:
                return 0
            inner, transpose, perm = found
            replace(node, [inner, transpose, node], "Transpose", [inner.inputs[0]], {"perm": perm}, 1)
            return 1
        if node.op_type == "Squeeze":
            moved = _moved_axis(node)
            if moved is None:
                return 0
            unsqueeze, transpose, perm = moved
            # since 1: the model's own opset stays (Transpose is the same op in every version)
            replace(node, [unsqueeze, transpose, node], "Transpose", [unsqueeze.inputs[0]], {"perm": perm}, 1)
            return 1
        if node.op_type != "Transpose":
            return 0
        count = 0
        inner = sole(node.inputs[0], "Transpose")
        outer_perm = permutation(node, _rank(node.inputs[0]))
        if inner is not None and outer_perm is not None:
            inner_perm = permutation(inner, _rank(inner.inputs[0]))
            if inner_perm is not None and inner.inputs[0] is not None:
                composed = [inner_perm[axis] for axis in outer_perm]
                node = replace(node, [inner, node], "Transpose", [inner.inputs[0]], {"perm": composed}, 1)
                outer_perm = composed
                count += 1
        if outer_perm is not None and outer_perm == sorted(outer_perm) and not node.outputs[0].is_graph_output():
            ir.convenience.replace_all_uses_with(node.outputs[0], node.inputs[0])
            node.graph.remove(node, safe=True)
            count += 1
        return count
