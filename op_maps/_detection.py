"""ONNX NonMaxSuppression as every target computes it: the selection runs on the host in numpy (its output
size depends on the values, so the port is eager-only), by one function whose source the generated code
carries; the target supplies how a tensor reaches the host and comes back."""

from __future__ import annotations

from porter.op_maps._source import lazy_source
from porter.semantics import register_emitter


def non_max_suppression(boxes, scores, max_per_class, iou_threshold, score_threshold, center_point_box):
    """[selected, 3] int64 rows (batch, class, box): per batch and class, boxes in descending score (ties:
    lower index first) above score_threshold, each kept unless its IoU with a kept box exceeds iou_threshold,
    at most max_per_class of them. Arithmetic in the boxes' dtype, as onnx.reference does."""
    import numpy as np

    if center_point_box:  # [x_center, y_center, width, height]
        half = boxes[..., 2:] / 2
        low, high = boxes[..., :2] - half, boxes[..., :2] + half
    else:  # two corners, in either order
        low, high = np.minimum(boxes[..., :2], boxes[..., 2:]), np.maximum(boxes[..., :2], boxes[..., 2:])
    area = (high[..., 0] - low[..., 0]) * (high[..., 1] - low[..., 1])

    def overlaps(b, i, k):
        extent = np.minimum(high[b, i], high[b, k]) - np.maximum(low[b, i], low[b, k])
        if (extent <= 0).any() or area[b, i] <= 0 or area[b, k] <= 0:
            return False
        inter = extent[0] * extent[1]
        union = area[b, i] + area[b, k] - inter
        return union > 0 and inter / union > iou_threshold

    rows = []
    for b in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            s = scores[b, c]
            order = sorted(range(len(s)), key=lambda i: (-s[i], i))
            if score_threshold is not None:
                order = [i for i in order if s[i] > score_threshold]
            kept = []
            for i in order:
                if len(kept) >= max_per_class:
                    break
                if not any(overlaps(b, i, k) for k in kept):
                    kept.append(i)
                    rows.append((b, c, i))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


_HELPER = lazy_source(
    non_max_suppression,
    """

def _nms(boxes, scores, max_per_class, iou_threshold, score_threshold, center_point_box):
    # ONNX NonMaxSuppression on the host: optional inputs are None when absent
    scalar = lambda t, default: default if t is None or t.size == 0 else {host}(t).reshape(-1)[0]
    max_per_class = max(int(scalar(max_per_class, 0)), 0)
    threshold = None if score_threshold is None or score_threshold.size == 0 else scalar(score_threshold, None)
    selected = non_max_suppression({host}(boxes), {host}(scores), max_per_class, scalar(iou_threshold, 0.0),
                                   threshold, center_point_box)
    return {tensor}(selected)
""",
)


def nms_call(n, vocab: dict) -> str:
    center = int(n.attr("center_point_box", 0))
    if center not in (0, 1):
        n.refuse(f"center_point_box={center} is not an ONNX value")
    n.require_eager("NonMaxSuppression's output size depends on the scores")
    optional = [n.x(i) if n.has_input(i) else "None" for i in (2, 3, 4)]
    helper = n.helper("_nms", _HELPER().format(**vocab))
    return f"{helper}({n.x(0)}, {n.x(1)}, {', '.join(optional)}, {center})"


def roi_align_weights(rois, out_h, out_w, height, width, scale, sampling_ratio, half_pixel):
    """Per-RoI sampling matrices ([R, out_h, H], [R, out_w, W]) of ONNX RoiAlign in avg mode: each output bin
    averages a grid of bilinear samples, and both the bilinear weights and the out-of-image rule (a sample
    past -1 or the far edge adds nothing) factor into a height part and a width part, so the pooled value is
    wy @ image @ wx.T."""
    import math

    import numpy as np

    def axis(start, end, out, length):
        if half_pixel:
            start, end = start * scale - 0.5, end * scale - 0.5
            extent = end - start
        else:
            start, end = start * scale, end * scale
            extent = max(end - start, 1.0)
        step = extent / out
        grid = sampling_ratio if sampling_ratio > 0 else math.ceil(extent / out)
        w = np.zeros((out, length))
        for p in range(out):
            for i in range(grid):
                y = start + p * step + (i + 0.5) * step / grid
                if y < -1.0 or y > length:
                    continue
                y = max(y, 0.0)
                low = int(y)
                if low >= length - 1:
                    low = high = length - 1
                    y = float(low)
                else:
                    high = low + 1
                w[p, low] += (1 - (y - low)) / grid
                w[p, high] += (y - low) / grid
        return w

    boxes = np.asarray(rois, dtype=np.float64).reshape(-1, 4)
    wy = np.stack([axis(b[1], b[3], out_h, height) for b in boxes]) if len(boxes) else np.zeros((0, out_h, height))
    wx = np.stack([axis(b[0], b[2], out_w, width) for b in boxes]) if len(boxes) else np.zeros((0, out_w, width))
    return wy, wx


_ROI_ALIGN = lazy_source(
    roi_align_weights,
    """

def _roi_align(x, rois, batch_indices, out_h, out_w, scale, sampling_ratio, half_pixel):
    # ONNX RoiAlign (avg): sampling weights made on the host from the RoI values, applied as two products
    wy, wx = roi_align_weights({host}(rois), out_h, out_w, x.shape[2], x.shape[3], scale, sampling_ratio, half_pixel)
    features = {gather}(x, {cast}(batch_indices, "int64"), 0)
    wy = {unsqueeze}({tensor}(wy).astype(x.dtype), 1)
    wx = {unsqueeze}({tensor}(wx).astype(x.dtype), 1)
    return {matmul}({matmul}(wy, features), {transpose}(wx, (0, 1, 3, 2)))
""",
)


def roi_align_call(n, vocab: dict) -> str:
    mode = n.attr("mode", "avg")
    if mode != "avg":  # runtimes disagree on ONNX's max mode (onnxruntime takes the max of weighted corners)
        n.refuse(f"mode={mode!r} is not mapped (avg is)")
    ctm = n.attr("coordinate_transformation_mode", "half_pixel") if n.since >= 16 else "output_half_pixel"
    if ctm not in ("half_pixel", "output_half_pixel"):
        n.refuse(f"coordinate_transformation_mode={ctm!r} is not an ONNX value")
    if n.in_rank(0) != 4:
        n.refuse("the input must be 4-D [N, C, H, W]")
    out_h, out_w = int(n.attr("output_height", 1)), int(n.attr("output_width", 1))
    ratio = int(n.attr("sampling_ratio", 0))
    scale = float(n.attr("spatial_scale", 1.0))
    n.require_eager("RoiAlign's sampling weights are made on the host from the RoI values")
    helper = n.helper("_roi_align", _ROI_ALIGN().format(**vocab))
    return f"{helper}({n.x(0)}, {n.x(1)}, {n.x(2)}, {out_h}, {out_w}, {n.lit(scale)}, {ratio}, {ctm == 'half_pixel'})"


def register(op, module: str, host: str, tensor: str, roi_vocab: dict) -> None:
    """NonMaxSuppression and RoiAlign for a target: `host` spells a tensor's numpy value, `tensor` a numpy
    array's tensor, roi_vocab the other calls RoiAlign makes."""
    dtypes = {"float32", "float64"}
    nms_vocab = {"host": host, "tensor": tensor}
    register_emitter(
        op, "NonMaxSuppression", lambda n: nms_call(n, nms_vocab), name="non_max_suppression", module=module,
        doc="ONNX's selection on the host in numpy (the output size depends on the scores: eager only)",
        dtypes=dtypes,
    )  # fmt: skip
    register_emitter(
        op, "RoiAlign", lambda n: roi_align_call(n, {**nms_vocab, **roi_vocab}), name="roi_align", module=module,
        doc="avg mode as two products with per-RoI sampling matrices made on the host (eager only)",
        dtypes=dtypes,
    )  # fmt: skip
