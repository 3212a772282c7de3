"""ONNX Col2Im (opset 18) as every target computes it: the blocks are summed into the image by one product with
a 0/1 matrix that says which image pixel each (block offset, block location) lands on. The matrix is made by
a plain numpy function: at convert time when the shapes are constants, else at run time from its source."""

from __future__ import annotations

from porter.op_maps._source import lazy_source
from porter.semantics import register_emitter

_MAX_ENTRIES = 1 << 24  # the dense 0/1 matrix stays under 64 MiB of float32


def col2im_matrix(image, block, dilations, pads, strides):
    """[prod(block) * locations, prod(image)] 0/1 matrix: row k * locations + l (block offset k at sliding
    location l, ONNX's column order) has a 1 at the pixel it adds to; padding positions add nowhere."""
    import numpy as np

    dims = len(image)
    grid = [
        (image[i] + pads[i] + pads[dims + i] - dilations[i] * (block[i] - 1) - 1) // strides[i] + 1 for i in range(dims)
    ]
    locations = int(np.prod(grid))
    matrix = np.zeros((int(np.prod(block)) * locations, int(np.prod(image))), dtype=np.float32)
    for k, offset in enumerate(np.ndindex(*block)):
        for loc_index, loc in enumerate(np.ndindex(*grid)):
            pos = [loc[i] * strides[i] - pads[i] + offset[i] * dilations[i] for i in range(dims)]
            if all(0 <= pos[i] < image[i] for i in range(dims)):
                matrix[k * locations + loc_index, np.ravel_multi_index(pos, image)] = 1.0
    return matrix


_APPLY = """
def _col2im(x, matrix, image):
    # ONNX Col2Im: [N, C * prod(block), L] columns summed into [N, C, *image] by a 0/1 matrix product
    rows = matrix.shape[0]
    y = {matmul}({reshape}(x, (x.shape[0], -1, rows)), matrix.astype(x.dtype))
    return {reshape}(y, (x.shape[0], -1) + tuple(image))
"""

_RUNTIME = lazy_source(
    col2im_matrix,
    """

def _col2im_runtime(x, image, block, dilations, pads, strides):
    # shapes known only at run time: the same matrix, made on the host
    return _col2im(x, {tensor}(col2im_matrix(image, block, dilations, pads, strides)), image)
""",
)


def col2im_call(n, vocab: dict, read_ints) -> str:
    """Col2Im with every attribute (dilations, pads, strides) for any number of spatial dims."""
    image, block = n.const_list(1), n.const_list(2)
    dims = len(image) if image is not None else (n.in_shape(1) or [None])[0]
    if not isinstance(dims, int):
        n.refuse("the number of spatial dims (image_shape's length) must be known")
    dilations = [int(v) for v in n.attr("dilations", [1] * dims)]
    pads = [int(v) for v in n.attr("pads", [0] * (2 * dims))]
    strides = [int(v) for v in n.attr("strides", [1] * dims)]
    if len(dilations) != dims or len(strides) != dims or len(pads) != 2 * dims:
        n.refuse(f"dilations, strides and pads must cover the {dims} spatial dims")
    apply = n.helper("_col2im", _APPLY.format(**vocab))
    if image is not None and block is not None:
        image, block = [int(v) for v in image], [int(v) for v in block]
        matrix = col2im_matrix(image, block, dilations, pads, strides)
        if matrix.size > _MAX_ENTRIES:
            n.refuse(f"the block-to-image matrix would hold {matrix.size} entries (limit {_MAX_ENTRIES})")
        return f"{apply}({n.x(0)}, {n.tensor(matrix, 'col2im_matrix')}, {tuple(image)!r})"
    helper = n.helper("_col2im_runtime", _RUNTIME().format(**vocab))
    return (
        f"{helper}({n.x(0)}, {read_ints(n, 1, 'image_shape')}, {read_ints(n, 2, 'block_shape')}, "
        f"{dilations}, {pads}, {strides})"
    )


def register(op, module: str, *, calls: str, tensor: str, read_ints) -> None:
    """Col2Im for a target whose calls are `calls.matmul` / `calls.reshape`, `tensor` the one that makes a
    tensor of a numpy array; read_ints(n, i, what) spells input i's ints."""
    vocab = {"matmul": f"{calls}.matmul", "reshape": f"{calls}.reshape", "tensor": tensor}
    register_emitter(
        op, "Col2Im", lambda n: col2im_call(n, vocab, read_ints), name="col2im", module=module,
        doc="columns summed into the image by a product with a 0/1 placement matrix (any number of spatial dims)",
        dtypes={"float32", "float64"},
    )  # fmt: skip
