"""PyTorch factories for the front-end tests (imported only in export subprocesses)."""

import torch


class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(4, 8))
        self.shift = torch.nn.Parameter(torch.randn(8))

    def forward(self, x):
        return torch.sqrt(torch.abs(x * self.weight)) + self.shift


def make():
    torch.manual_seed(0)
    return Scale(), (torch.randn(2, 4, 8),)


def module_only():
    return Scale()


def broken():
    raise ValueError("no weights here")


def wrong():
    return 42


class Block(torch.nn.Module):
    """Linear (stored pre-transposed by torch.onnx), LayerNorm, GELU: what `porter weights` must place."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 16)
        self.norm = torch.nn.LayerNorm(16)
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.head(torch.nn.functional.gelu(self.norm(self.proj(x))))


def block():
    torch.manual_seed(0)
    return Block(), (torch.randn(2, 3, 8),)


def fine_tuned(seed: int = 5):
    """The same architecture with other weights: a fine-tuned checkpoint."""
    module, inputs = block()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.5)
    return module, inputs


class Warp(torch.nn.Module):
    def forward(self, x, grid):
        return torch.nn.functional.grid_sample(x, grid, mode="bicubic", align_corners=False)


class WithWarp(torch.nn.Module):
    """A submodule whose op (GridSample, bicubic) Paddle refuses: `porter inspect` must name both."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.warp = Warp()

    def forward(self, x, grid):
        return self.warp(self.stem(x), grid)


def with_warp():
    torch.manual_seed(0)
    return WithWarp(), (torch.randn(1, 3, 8, 8), torch.rand(1, 8, 8, 2) * 2 - 1)
