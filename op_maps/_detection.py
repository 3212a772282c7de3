"""ONNX NonMaxSuppression as every target computes it: the selection runs on the host in numpy (its output
size depends on the values, so the port is eager-only), by one function whose source the generated code
carries; the target supplies how a tensor reaches the host and comes back."""

from __future__ import annotations

import inspect


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


_HELPER = (
    inspect.getsource(non_max_suppression)
    + """

def _nms(boxes, scores, max_per_class, iou_threshold, score_threshold, center_point_box):
    # ONNX NonMaxSuppression on the host: optional inputs are None when absent
    scalar = lambda t, default: default if t is None or t.size == 0 else {host}(t).reshape(-1)[0]
    max_per_class = max(int(scalar(max_per_class, 0)), 0)
    threshold = None if score_threshold is None or score_threshold.size == 0 else scalar(score_threshold, None)
    selected = non_max_suppression({host}(boxes), {host}(scores), max_per_class, scalar(iou_threshold, 0.0),
                                   threshold, center_point_box)
    return {tensor}(selected)
"""
)


def nms_call(n, vocab: dict) -> str:
    center = int(n.attr("center_point_box", 0))
    if center not in (0, 1):
        n.refuse(f"center_point_box={center} is not an ONNX value")
    n.require_eager("NonMaxSuppression's output size depends on the scores")
    optional = [n.x(i) if n.has_input(i) else "None" for i in (2, 3, 4)]
    helper = n.helper("_nms", _HELPER.format(**vocab))
    return f"{helper}({n.x(0)}, {n.x(1)}, {', '.join(optional)}, {center})"
