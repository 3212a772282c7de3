"""Generated-code helpers that carry a numpy function's own source (one definition of an ONNX rule, run at
convert time when the shapes are constants and at run time otherwise), read when a node first needs them.

inspect.getsource reads and tokenizes the module file; done at import for every such helper, it cost each
`porter convert` ~20 ms though few models have these ops (Col2Im, NonMaxSuppression, RoiAlign, DFT/STFT,
windows, MelWeightMatrix, AffineGrid, MindSpore's run-time Resize)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


def lazy_source(*parts) -> Callable[[], str]:
    """A function returning the parts joined, each function as its source (inspect.getsource) and each str
    as it is; computed on the first call and kept."""

    @functools.cache
    def text() -> str:
        return "".join(part if isinstance(part, str) else inspect.getsource(part) for part in parts)

    return text
