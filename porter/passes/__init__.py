"""Graph passes on onnx_ir: rewrites that give lowering a graph closer to what a person would port (the
framework's own layers and functions, no duplicate work, no dead code), with the numerics of the source.

One module per job: `pipeline` (the context manager lowering runs inside), `screen` (what is decided on the
protos: whether a graph is read into onnx_ir at all), `matching` (what fusions
share), `fusion_activation` (GELU, SiLU), `fusion_norm` (RMSNorm), `cse` (common subexpressions within a
module scope), `identity` (Identity elimination in the main graph, and And/Or with their neutral scalar),
`index_grid` (a GatherND on a grid of whole aranges is an Unsqueeze), `transpose` (transposes composed). onnx_ir's dead-code removal runs from
the pipeline. Only `pipeline` and `screen` are imported with porter: the pass modules import onnx_ir, and
pipeline imports them (through porter.deferred) when a graph is to be read.
"""

from porter.passes.pipeline import optimized
from porter.passes.screen import FUSED_OPSET_KEY

__all__ = ["FUSED_OPSET_KEY", "optimized"]
