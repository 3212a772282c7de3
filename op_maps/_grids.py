"""ONNX AffineGrid (opset 20) as every target computes it: the homogeneous coordinates of the output positions
come from one numpy function (at convert time for a constant size, else at run time from its source), and
the grid is their product with each theta."""

from __future__ import annotations

from porter.op_maps._source import lazy_source
from porter.semantics import register_emitter


def affine_base_grid(spatial, align_corners):
    """[prod(spatial), len(spatial) + 1] homogeneous coordinates (x, y[, z], 1) of the output positions, row-major
    over (D,) H, W: pixel centres in [-1, 1] (align_corners=0) or corners (align_corners=1; -1 for a size of 1,
    as onnx.reference)."""
    import numpy as np

    axes = []
    for size in spatial:
        i = np.arange(size, dtype=np.float64)
        if align_corners:
            axes.append(-1 + 2 * i / (size - 1) if size > 1 else np.full(size, -1.0))
        else:
            axes.append(-1 + (2 * i + 1) / size)
    mesh = np.meshgrid(*axes, indexing="ij")
    coords = [m.reshape(-1) for m in reversed(mesh)]  # x runs along the last spatial dim
    return np.stack([*coords, np.ones_like(coords[0])], axis=1)


_APPLY = """
def _affine_grid(theta, base, spatial):
    # ONNX AffineGrid: every position's (x, y[, z], 1) times each theta, as [N, (D,) H, W, 2 or 3]
    grid = {matmul}(base.astype(theta.dtype), {transpose}(theta, (0, 2, 1)))
    return {reshape}(grid, (theta.shape[0],) + tuple(spatial) + (theta.shape[1],))
"""

_RUNTIME = lazy_source(
    affine_base_grid,
    """

def _affine_grid_runtime(theta, size, align_corners):
    # a size known only at run time: the same coordinates, made on the host
    spatial = tuple(size[2:])
    return _affine_grid(theta, {tensor}(affine_base_grid(spatial, align_corners)), spatial)
""",
)


def affine_grid_call(n, vocab: dict, read_ints) -> str:
    align = int(n.attr("align_corners", 0))
    if align not in (0, 1):
        n.refuse(f"align_corners={align} is not an ONNX value")
    if n.in_rank(0) != 3:
        n.refuse("theta must be 3-D: [N, 2, 3] or [N, 3, 4]")
    apply = n.helper("_affine_grid", _APPLY.format(**vocab))
    size = n.const_list(1)
    if size is not None:
        spatial = tuple(int(v) for v in size[2:])
        base = affine_base_grid(spatial, align).astype(n.in_dtype(0))
        return f"{apply}({n.x(0)}, {n.tensor(base, 'grid_base')}, {spatial!r})"
    helper = n.helper("_affine_grid_runtime", _RUNTIME().format(**vocab))
    return f"{helper}({n.x(0)}, {read_ints(n, 1, 'size')}, {align})"


def register(op, module: str, vocab: dict, read_ints) -> None:
    """AffineGrid for a target: `vocab` spells matmul, transpose, reshape and tensor; read_ints(n, i, what)
    the source of input i's ints."""
    register_emitter(
        op, "AffineGrid", lambda n: affine_grid_call(n, vocab, read_ints), name="affine_grid", module=module,
        doc="the output positions' homogeneous coordinates times each theta (2-D and 3-D)",
        dtypes={"float32", "float64"},
    )  # fmt: skip
