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


class EncoderBlock(torch.nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.norm = torch.nn.LayerNorm(dim)
        self.fc1 = torch.nn.Linear(dim, hidden)
        self.fc2 = torch.nn.Linear(hidden, dim)
        self.drop = torch.nn.Dropout(0.25)

    def forward(self, x):
        return x + self.drop(self.fc2(torch.nn.functional.gelu(self.fc1(self.norm(x)))))


class TinyEncoder(torch.nn.Module):
    """The shared example (shared/examples/source_block.py) at test size: a module tree with repeated blocks."""

    def __init__(self, vocab: int = 50, dim: int = 16, hidden: int = 32, depth: int = 2):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, dim)
        self.blocks = torch.nn.ModuleList([EncoderBlock(dim, hidden) for _ in range(depth)])
        self.head = torch.nn.Linear(dim, 10)
        self.register_buffer("scale", torch.tensor([0.5] * dim), persistent=False)

    def forward(self, ids):
        x = self.embed(ids) * self.scale
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=1))


def tiny_encoder():
    torch.manual_seed(0)
    model = TinyEncoder()
    with torch.no_grad():  # trained norms: the exporter would merge untrained (all-ones) ones
        for p in model.parameters():
            p.add_(torch.randn(p.shape) * 0.02)
    return model.eval(), (torch.randint(0, 50, (2, 6)),)


class Masked(torch.nn.Module):
    """Two inputs by keyword, as tokenizers hand them over (input_ids, attention_mask)."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(20, 8)
        self.proj = torch.nn.Linear(8, 4)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        x = self.embed(input_ids) * attention_mask.unsqueeze(-1).to(torch.float32)
        return self.proj(x.sum(dim=1) / attention_mask.sum(dim=1, keepdim=True).clamp(min=1))


def keyword_inputs():
    torch.manual_seed(0)
    ids = torch.randint(0, 20, (2, 5))
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    return Masked().eval(), {"attention_mask": mask, "input_ids": ids}


class TextAndImage(torch.nn.Module):
    """Two positional inputs of different ranks, each with its own dynamic axes."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(20, 6)
        self.conv = torch.nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, ids, pixels):
        return self.embed(ids).mean(dim=1) + self.conv(pixels).mean(dim=(2, 3))


def text_and_image():
    torch.manual_seed(0)
    return TextAndImage().eval(), (torch.randint(0, 20, (2, 5)), torch.randn(2, 3, 8, 10))


class BatchNormCnn(torch.nn.Module):
    """BatchNorm2d after a Conv and BatchNorm1d after a Linear, non-default momenta: train-mode ports."""

    def __init__(self, affine: bool = True):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4, momentum=0.2, affine=affine)
        self.fc = torch.nn.Linear(4, 5)
        self.bn1 = torch.nn.BatchNorm1d(5, momentum=0.3)

    def forward(self, x):
        return self.bn1(self.fc(torch.relu(self.bn(self.conv(x))).mean((2, 3))))


def batch_norm_cnn():
    torch.manual_seed(0)
    return BatchNormCnn(), (torch.randn(4, 3, 8, 8),)


def batch_norm_cnn_without_affine():
    torch.manual_seed(0)
    return BatchNormCnn(affine=False), (torch.randn(4, 3, 8, 8),)


class PaddedEmbedding(torch.nn.Module):
    """An Embedding with padding_idx (row 2, which random token batches hit) whose row is not zero, as a
    fine-tuned checkpoint's may be: the forward must look it up as stored, training must leave it alone."""

    def __init__(self, scale_grad_by_freq: bool = False):
        super().__init__()
        self.embed = torch.nn.Embedding(6, 8, padding_idx=2, scale_grad_by_freq=scale_grad_by_freq)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(torch.tanh(self.embed(ids)))


def padded_embedding(scale_grad_by_freq: bool = False):
    torch.manual_seed(0)
    model = PaddedEmbedding(scale_grad_by_freq)
    with torch.no_grad():
        model.embed.weight[2] = torch.randn(8)
    return model.eval(), (torch.tensor([[2, 0, 1, 2], [3, 2, 5, 4]]),)


def padded_embedding_scaled_by_freq():
    return padded_embedding(scale_grad_by_freq=True)


class LayerDrop(torch.nn.Module):
    """Skips its block at random while training, as wav2vec2's LayerDrop does: a Python branch on a tensor
    value, which torch.export cannot capture in train mode (eval mode never takes it)."""

    def __init__(self):
        super().__init__()
        self.block = torch.nn.Linear(4, 4)
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x):
        if self.training and torch.rand([]) < 0.1:
            return x
        return self.drop(self.block(x))


def layer_drop():
    torch.manual_seed(0)
    return LayerDrop().eval(), (torch.randn(2, 4),)


class DerivedWeights(torch.nn.Module):
    """Weights used through a computation on parameters alone, which inference folds into new constants:
    a 3-D expert bank used transposed (as Mixtral's experts) and a weight_norm convolution (wav2vec2's
    positional conv: weight = g * v / |v|, from two parameters)."""

    def __init__(self):
        super().__init__()
        self.experts = torch.nn.Parameter(torch.randn(3, 6, 4) * 0.3)  # [expert, out, in]
        conv = torch.nn.Conv1d(4, 4, 3, padding=1)
        self.conv = torch.nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)

    def forward(self, x):  # [batch, seq, 4]
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return torch.matmul(h.unsqueeze(1), self.experts.transpose(1, 2).unsqueeze(0)).sum(dim=1)


def derived_weights():
    torch.manual_seed(0)
    return DerivedWeights().eval(), (torch.randn(2, 5, 4),)


class Flattening(torch.nn.Module):
    """Reshapes its input before a Linear (transformers' Conv1D does): the first node it runs is a Reshape."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(8, 8)

    def forward(self, x):
        return self.proj(x.reshape(-1, 8)).reshape(2, 3, 8)


class ViewFed(torch.nn.Module):
    """Two Flattening instances, one fed a transposed tensor (`.contiguous()` is no node in the export, so its
    Reshape reads a Transpose): they are one class all the same."""

    def __init__(self):
        super().__init__()
        self.plain = Flattening()
        self.transposed = Flattening()

    def forward(self, x):
        return self.plain(x) + self.transposed(x.transpose(0, 1).contiguous())


def view_fed():
    torch.manual_seed(0)
    return ViewFed().eval(), (torch.randn(2, 3, 8),)


class WeightNormed(torch.nn.Module):
    """wav2vec2's positional conv in small: a weight_norm convolution (its parameters live on a
    ParametrizationList inside a ModuleDict, `conv.parametrizations.weight.original0`) and a parameter the
    eval forward never reads (wav2vec2's masked_spec_embed)."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 4)
        conv = torch.nn.Conv1d(4, 4, 3, padding=1, groups=2)
        self.conv = torch.nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        self.masked_spec_embed = torch.nn.Parameter(torch.rand(4))

    def forward(self, x):  # [batch, seq, 4]
        return self.conv(self.proj(x).transpose(1, 2)).transpose(1, 2)


def weight_normed():
    torch.manual_seed(0)
    return WeightNormed().eval(), (torch.randn(2, 5, 4),)
