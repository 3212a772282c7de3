"""Target-neutral cases for op_maps/<target>/loss.py."""

import numpy as np

from tests.op_maps.harness import NodeCase

rng = np.random.default_rng(0)
SCORES = rng.standard_normal((3, 5, 2)).astype(np.float32)
LABELS = np.array([[0, 4], [2, -1], [1, 3]], np.int64)
WEIGHTS = rng.random(5).astype(np.float32) + 0.5

CASES = [
    NodeCase(
        "sce_mean_weighted_ignore",
        "SoftmaxCrossEntropyLoss",
        {"s": SCORES, "l": LABELS, "w": WEIGHTS},
        attrs={"ignore_index": -1},
    ),
    NodeCase(
        "sce_none_log_prob",
        "SoftmaxCrossEntropyLoss",
        {"s": SCORES, "l": np.abs(LABELS)},
        attrs={"reduction": "none"},
        n_outputs=2,
    ),
    NodeCase("nll_sum", "NegativeLogLikelihoodLoss", {"x": SCORES, "t": np.abs(LABELS)}, attrs={"reduction": "sum"}),
    NodeCase("nll_mean_weighted", "NegativeLogLikelihoodLoss", {"x": SCORES, "t": np.abs(LABELS), "w": WEIGHTS}),
    NodeCase(
        "nll_bad_reduction_refused",
        "NegativeLogLikelihoodLoss",
        {"x": SCORES, "t": np.abs(LABELS)},
        attrs={"reduction": "max"},
        refuse="reduction",
    ),
]
