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
