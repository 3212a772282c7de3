"""Small torch modules shaped like the transformers classes whose instances differ: ConvNeXt's blocks of two
widths and its stages with and without downsampling, DeepSeek's RMSNorms of two widths, ResNet's conv layers
with and without activation and its basic layers with and without a shortcut. Sources for
`porter convert tests/porter/lower/torch_modules.py:NAME`."""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


class Block(nn.Module):
    """ConvNeXt's block: a depthwise conv, a norm, Linear(dim, 4 * dim), Linear(4 * dim, dim), a layer scale."""

    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=3, padding=1, groups=dim)
        self.norm = RMSNorm(dim)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), 0.5))

    def forward(self, x):
        h = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        h = self.scale * self.pwconv2(torch.relu(self.pwconv1(h)))
        return x + h.permute(0, 3, 1, 2)


class Stage(nn.Module):
    """ConvNeXt's stage: downsampling layers where the width changes (an empty nn.ModuleList otherwise)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        down = [nn.Conv2d(cin, cout, kernel_size=2, stride=2), nn.Conv2d(cout, cout, kernel_size=1)]
        self.downsampling_layer = nn.ModuleList(down if cin != cout else [])
        self.layers = nn.ModuleList([Block(cout)])

    def forward(self, x):
        for layer in self.downsampling_layer:
            x = layer(x)
        for layer in self.layers:
            x = layer(x)
        return x


class TwoWidths(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([Stage(4, 4), Stage(4, 8)])

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return x


class ConvLayer(nn.Module):
    """ResNet's conv layer: its activation is nn.Identity() when none is configured."""

    def __init__(self, cin: int, cout: int, stride: int = 1, activation: bool = True):
        super().__init__()
        self.convolution = nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)
        self.normalization = nn.BatchNorm2d(cout)
        self.activation = nn.ReLU() if activation else nn.Identity()

    def forward(self, x):
        return self.activation(self.normalization(self.convolution(x)))


class ShortCut(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.convolution = nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)
        self.normalization = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.normalization(self.convolution(x))


class BasicLayer(nn.Module):
    """ResNet's basic layer: its shortcut is nn.Identity() where the sizes stay."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.shortcut = ShortCut(cin, cout, stride) if cin != cout or stride != 1 else nn.Identity()
        self.layer = nn.Sequential(ConvLayer(cin, cout, stride), ConvLayer(cout, cout, activation=False))

    def forward(self, x):
        return torch.relu(self.layer(x) + self.shortcut(x))


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedder = ConvLayer(3, 4)
        self.stages = nn.ModuleList([BasicLayer(4, 4, 1), BasicLayer(4, 8, 2)])

    def forward(self, x):
        x = self.embedder(x)
        for stage in self.stages:
            x = stage(x)
        return x


def _trained(model: nn.Module) -> nn.Module:
    """Perturbed weights and statistics (fresh norms are all ones: the exporter would merge them)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape) * 0.1)
        for name, b in model.named_buffers():
            if name.endswith(("running_mean", "running_var")):
                b.copy_(torch.rand(b.shape) + 0.5)
    return model.eval()


def two_widths():
    return _trained(TwoWidths()), (torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(1)),)


def tiny_resnet():
    return _trained(TinyResNet()), (torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1)),)
