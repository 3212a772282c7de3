"""An example porter plugin: a team's fused kernel, `com.example::FusedBiasGelu(X, bias) = gelu(X + bias)`.

It shows the three things a plugin can give (docs/plugins.md):
- define_op: the custom-domain operator's schema, so onnx checks and shape-infers a model that uses it;
- mapping: how each target computes it (the same emitters as porter's own op_maps/<target>/ files);
- torch_translation: how torch.onnx exports the PyTorch custom op `porter_example::fused_bias_gelu`
  (made with torch.library.custom_op in torch_custom_op.py) as that ONNX operator.

    porter convert examples/plugins/fused_bias_gelu.onnx --to mindspore -o out \
        --plugin examples/plugins/fused_bias_gelu_plugin.py

Like every plugin it imports no framework at import time: porter loads it in processes that run paddle,
mindspore or torch alone; the translation imports onnxscript only when torch.onnx asks for it.
"""

from porter import plugins

DOMAIN = "com.example"
APPROXIMATIONS = ("none", "tanh")

plugins.define_op(
    DOMAIN,
    "FusedBiasGelu",
    inputs=["X", "bias"],
    outputs=["Y"],
    attributes={"approximate": "string"},
    types=["tensor(float)", "tensor(double)"],
    doc="Y = Gelu(X + bias), bias broadcast over X's last axis; approximate: 'none' (erf) or 'tanh'.",
)


def _approximate(n) -> str:
    approximate = n.attr("approximate", "none")
    if approximate not in APPROXIMATIONS:  # refused at convert time, never guessed
        n.refuse(f"approximate={approximate!r} is not one of {', '.join(APPROXIMATIONS)}")
    return approximate


@plugins.mapping("paddle", "FusedBiasGelu", domain=DOMAIN, dtypes=["float32", "float64"])
def fused_bias_gelu_paddle(n):
    """nn.functional.gelu(X + bias)"""
    tanh = _approximate(n) == "tanh"
    return f"nn.functional.gelu({n.x(0)} + {n.x(1)}, approximate={tanh})"


@plugins.mapping("mindspore", "FusedBiasGelu", domain=DOMAIN, dtypes=["float32", "float64"])
def fused_bias_gelu_mindspore(n):
    """ops.gelu(X + bias) (approximate passed explicitly: MindSpore's default is tanh)"""
    return f"ops.gelu({n.x(0)} + {n.x(1)}, approximate={_approximate(n)!r})"


@plugins.torch_translation("porter_example::fused_bias_gelu")
def _fused_bias_gelu_translation():
    """torch.onnx: the custom op becomes one com.example::FusedBiasGelu node (not decomposed), which the
    mappings above port."""
    from onnxscript.function_libs.torch_lib.tensor_typing import TFloat
    from onnxscript.values import Opset

    example = Opset(DOMAIN, 1)

    def fused_bias_gelu(x: TFloat, bias: TFloat, approximate: str = "none") -> TFloat:
        return example.FusedBiasGelu(x, bias, approximate=approximate)

    return fused_bias_gelu
