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


class Mixer(nn.Module):
    """An attention-like mixer: reshapes by the batch and sequence sizes of its own input, as a hand port does."""

    def __init__(self, dim: int, heads: int = 2):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.heads = heads

    def forward(self, x):
        b, s, d = x.shape
        h = self.proj(x).view(b, s, self.heads, d // self.heads).transpose(1, 2)
        h = torch.softmax(h @ h.transpose(-1, -2), -1) @ h
        return h.transpose(1, 2).reshape(b, s, d)


class DenseMLP(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SparseMLP(nn.Module):
    """DeepSeek's MoE, small: tokens flattened, two experts mixed by a gate, the tokens' shape restored."""

    def __init__(self, dim: int):
        super().__init__()
        self.gate = nn.Linear(dim, 2, bias=False)
        self.experts = nn.ModuleList([nn.Linear(dim, dim) for _ in range(2)])

    def forward(self, x):
        tokens = x.reshape(-1, x.shape[-1])
        weights = torch.softmax(self.gate(tokens), -1)
        out = sum(weights[:, i : i + 1] * expert(tokens) for i, expert in enumerate(self.experts))
        return out.reshape(x.shape)


class MixedLayer(nn.Module):
    """DeepSeek's decoder layer: one class, holding a DenseMLP in the first layer and a SparseMLP in the others."""

    def __init__(self, dim: int, sparse: bool):
        super().__init__()
        self.mixer = Mixer(dim)
        self.mlp = SparseMLP(dim) if sparse else DenseMLP(dim)

    def forward(self, x):
        x = x + self.mixer(x)
        return x + self.mlp(x)


class TinyMoE(nn.Module):
    def __init__(self, depth: int):
        super().__init__()
        self.embed = nn.Embedding(50, 8)
        self.layers = nn.ModuleList([MixedLayer(8, i >= 1) for i in range(depth)])

    def forward(self, ids):
        h = self.embed(ids)
        for layer in self.layers:
            h = layer(h)
        return h


def tiny_moe():
    return _trained(TinyMoE(2)), (torch.randint(0, 50, (2, 5), generator=torch.Generator().manual_seed(1)),)


def tiny_moe_deep():
    return _trained(TinyMoE(5)), (torch.randint(0, 50, (2, 5), generator=torch.Generator().manual_seed(1)),)
