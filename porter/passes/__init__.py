"""Graph passes on onnx_ir: rewrites that give lowering a graph closer to what a person would port (the
framework's own layers and functions, no duplicate work, no dead code), with the numerics of the source.

One module per job: `pipeline` (the context manager lowering runs inside), `matching` (what fusions
share), `fusion_activation` (GELU, SiLU), `fusion_norm` (RMSNorm), `cse` (common subexpressions within a
module scope), `identity` (Identity elimination in the main graph). onnx_ir's dead-code removal runs from
the pipeline.
"""

from porter.deferred import import_onnx_ir

import_onnx_ir()  # before the pass modules import onnx_ir: its sympy loads only if symbolic dims are computed

from porter.passes.matching import FUSED_OPSET_KEY  # noqa: E402
from porter.passes.pipeline import optimized  # noqa: E402

__all__ = ["FUSED_OPSET_KEY", "optimized"]
