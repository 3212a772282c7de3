"""A PyTorch model with a custom op, as real models carry custom CUDA kernels: `porter_example::fused_bias_gelu`
(torch.library.custom_op; here its body is plain torch so it runs anywhere). torch.onnx cannot translate it
by itself; the plugin beside this file gives the translation and the mappings:

    porter convert examples/plugins/torch_custom_op.py:make --to paddle -o out \
        --plugin examples/plugins/fused_bias_gelu_plugin.py
"""

from __future__ import annotations

import torch


@torch.library.custom_op("porter_example::fused_bias_gelu", mutates_args=())
def fused_bias_gelu(x: torch.Tensor, bias: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    return torch.nn.functional.gelu(x + bias, approximate=approximate)


@fused_bias_gelu.register_fake
def _(x, bias, approximate="none"):
    return torch.empty_like(x)


class FusedMlp(torch.nn.Module):
    def __init__(self, features: int = 8, hidden: int = 16, classes: int = 4):
        super().__init__()
        self.fc1 = torch.nn.Linear(features, hidden, bias=False)
        self.bias = torch.nn.Parameter(torch.randn(hidden) * 0.5)
        self.fc2 = torch.nn.Linear(hidden, classes)

    def forward(self, features):
        return self.fc2(fused_bias_gelu(self.fc1(features), self.bias, "tanh"))


def make():
    """(module, example inputs) for `porter convert examples/plugins/torch_custom_op.py:make`."""
    torch.manual_seed(0)
    return FusedMlp().eval(), (torch.randn(3, 8),)
