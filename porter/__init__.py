"""porter: port PyTorch and ONNX models to PaddlePaddle and MindSpore as readable code."""

__version__ = "0.1.0"

from porter.convert import Result, convert, generate  # noqa: E402
from porter.errors import InvalidModel, OutputExists, PorterError, UnsupportedOp  # noqa: E402
from porter.loading import load  # noqa: E402

__all__ = ["InvalidModel", "OutputExists", "PorterError", "Result", "UnsupportedOp", "convert", "generate", "load"]
