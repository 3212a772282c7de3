"""Speech and vision architectures from small configs, random weights, no downloads (issue 15's table).

Each factory returns (module in eval mode, example inputs) for `porter convert bench/speech_vision_models.py:NAME`.
The public classes are `transformers`' own (the SpeechT5 HiFi-GAN vocoder, the EnCodec codec); the rest are
plain torch.nn models written as their papers describe them, since torchvision is not installed: a
bidirectional two-layer LSTM acoustic model, a conv+GRU CRNN, a U-Net whose decoder upsamples with
ConvTranspose2d, a spatial transformer (affine_grid + grid_sample) and an anchor-free detection head that
decodes boxes on a grid built from the feature map's own size. Every model keeps batch and its time or
height/width axes dynamic (MODELS), so the port is checked at two sizes from one conversion.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hf_models import _trained  # perturbing weights as training would: one definition for both tables
from torch import nn


def _randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


class AcousticLSTM(nn.Module):
    """Filterbank frames -> per-frame token log-probabilities, as a CTC acoustic model (DeepSpeech 2 style)."""

    def __init__(self, features: int = 40, hidden: int = 32, tokens: int = 30):
        super().__init__()
        self.proj = nn.Linear(features, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.classifier = nn.Linear(2 * hidden, tokens)

    def forward(self, features):  # (batch, frames, features)
        hidden, _ = self.lstm(torch.relu(self.proj(features)))
        return self.classifier(hidden).log_softmax(-1)


class CRNN(nn.Module):
    """Text-line image -> per-column character log-probabilities (Shi et al. 2015): conv stack, then a
    bidirectional GRU along the width."""

    def __init__(self, hidden: int = 32, tokens: int = 40):
        super().__init__()

        def block(cin, cout, pool):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(pool)]

        self.cnn = nn.Sequential(*block(1, 16, 2), *block(16, 32, 2), *block(32, 32, (2, 1)), *block(32, 32, (4, 1)))
        self.rnn = nn.GRU(32, hidden, num_layers=2, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, tokens)

    def forward(self, image):  # (batch, 1, 32, width)
        features = self.cnn(image).squeeze(2).permute(2, 0, 1)  # (width / 4, batch, channels): time-major
        hidden, _ = self.rnn(features)
        return self.classifier(hidden).log_softmax(-1)


class _DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class _Up(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
        self.conv = _DoubleConv(cin, cout)

    def forward(self, x, skip):
        x = self.up(x)
        # An odd-sized input loses a row or column in pooling: pad the upsampled map to its skip's size,
        # as the reference U-Net does, so any height and width work (the shapes are symbolic here).
        dy, dx = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    """Image -> per-pixel class logits (Ronneberger et al. 2015), two levels deep."""

    def __init__(self, channels: int = 3, classes: int = 2, width: int = 8):
        super().__init__()
        self.inc = _DoubleConv(channels, width)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(width, 2 * width))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(2 * width, 4 * width))
        self.up1 = _Up(4 * width, 2 * width)
        self.up2 = _Up(2 * width, width)
        self.outc = nn.Conv2d(width, classes, 1)

    def forward(self, image):
        x1 = self.inc(image)
        x2 = self.down1(x1)
        x = self.up1(self.down2(x2), x2)
        return self.outc(self.up2(x, x1))


class SpatialTransformer(nn.Module):
    """Image of any size -> (rectified image, class logits) (Jaderberg et al. 2015): a localisation net
    predicts an affine transform, affine_grid + grid_sample resample the input to a fixed size (as a text
    recogniser's rectifier does), a small classifier reads the result."""

    def __init__(self, channels: int = 1, classes: int = 10, out_size: tuple[int, int] = (24, 24)):
        super().__init__()
        self.out_size = out_size
        self.localization = nn.Sequential(
            nn.Conv2d(channels, 8, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU()
        )
        self.fc_loc = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 6))
        with torch.no_grad():  # the identity transform to start from, as the paper initialises it
            self.fc_loc[2].weight.zero_()
            self.fc_loc[2].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
        self.classifier = nn.Sequential(nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(16, classes)

    def forward(self, image):
        # Global average pooling keeps the localisation net independent of the image size.
        theta = self.fc_loc(self.localization(image).mean(dim=(2, 3))).view(-1, 2, 3)
        # The output size is fixed; the input's height and width stay free (an output grid of the input's
        # own size would not: torch.export specialises affine_grid's size to the example's)
        grid = F.affine_grid(theta, [image.shape[0], image.shape[1], *self.out_size], align_corners=False)
        warped = F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return warped, self.head(self.classifier(warped).mean(dim=(2, 3)))


class DetectionHead(nn.Module):
    """Image -> (boxes, scores) of the best K locations, FCOS-style: a stride-8 backbone, a head predicting
    class scores and left/top/right/bottom distances per location, boxes decoded on the feature map's grid."""

    def __init__(self, classes: int = 5, width: int = 16, top_k: int = 16):
        super().__init__()
        layers, cin = [], 3
        for _ in range(3):  # three stride-2 stages: stride 8
            layers += [nn.Conv2d(cin, width, 3, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            cin = width
        self.backbone = nn.Sequential(*layers)
        self.cls_head = nn.Conv2d(width, classes, 3, padding=1)
        self.box_head = nn.Conv2d(width, 4, 3, padding=1)
        self.stride, self.top_k = 8, top_k

    def forward(self, image):
        features = self.backbone(image)
        batch, _, h, w = features.shape
        scores = self.cls_head(features).sigmoid().flatten(2).transpose(1, 2)  # (batch, h*w, classes)
        distances = self.box_head(features).exp().flatten(2).transpose(1, 2) * self.stride  # l, t, r, b
        ys = (torch.arange(h, dtype=torch.float32) + 0.5) * self.stride
        xs = (torch.arange(w, dtype=torch.float32) + 0.5) * self.stride
        cy, cx = torch.meshgrid(ys, xs, indexing="ij")
        centers = torch.stack([cx.flatten(), cy.flatten()], dim=-1)  # (h*w, 2)
        boxes = torch.cat([centers - distances[..., :2], centers + distances[..., 2:]], dim=-1)
        best, where = scores.max(-1).values.topk(self.top_k, dim=1)
        picked = boxes.gather(1, where.unsqueeze(-1).expand(-1, -1, 4))
        return picked, best


def lstm_acoustic():
    torch.manual_seed(0)
    return _trained(AcousticLSTM()), (_randn(2, 50, 40),)


def crnn():
    torch.manual_seed(0)
    return _trained(CRNN()), (_randn(2, 1, 32, 64),)


def unet():
    torch.manual_seed(0)
    return _trained(UNet()), (_randn(2, 3, 32, 32),)


def spatial_transformer():
    torch.manual_seed(0)
    return _trained(SpatialTransformer()), (_randn(2, 1, 28, 28),)


def detection_head():
    torch.manual_seed(0)
    return _trained(DetectionHead()), (_randn(2, 3, 64, 64),)


def hifigan():
    """The SpeechT5 HiFi-GAN vocoder: mel frames -> waveform through ConvTranspose1d upsampling and
    dilated residual blocks."""
    from transformers import SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(0)
    config = SpeechT5HifiGanConfig(model_in_dim=16, upsample_initial_channel=32, upsample_rates=[4, 4],
                                   upsample_kernel_sizes=[8, 8], resblock_kernel_sizes=[3, 7],
                                   resblock_dilation_sizes=[[1, 3], [1, 3]])  # fmt: skip
    return _trained(SpeechT5HifiGan(config)), (_randn(2, 20, 16),)


def encodec():
    """The EnCodec neural codec: reflect-padded conv encoder with an LSTM, residual vector quantiser,
    ConvTranspose1d decoder; outputs the codes and the decoded audio."""
    from transformers import EncodecConfig, EncodecModel

    torch.manual_seed(0)
    config = EncodecConfig(target_bandwidths=[1.2], sampling_rate=800, hidden_size=16, num_filters=8,
                           upsampling_ratios=[4, 2], codebook_size=64, num_lstm_layers=2, use_causal_conv=False,
                           kernel_size=7, last_kernel_size=7)  # fmt: skip
    # 403 samples, not a multiple of the hop (8): torch.export fails on EnCodec (its conv strides are tensor
    # buffers, so padding depends on data), and the TorchScript exporter that porter falls back to records
    # the decoder's trim to the input length only when the example needs one
    return _trained(EncodecModel(config)), (_randn(2, 1, 403),)


MODELS = {  # name -> dims kept symbolic ("_" keeps an axis static)
    "lstm_acoustic": ["batch", "frames"],
    "crnn": ["batch", "_", "_", "width"],
    "hifigan": ["batch", "frames"],
    "encodec": ["batch", "_", "samples"],
    "unet": ["batch", "_", "height", "width"],
    "spatial_transformer": ["batch", "_", "height", "width"],
    "detection_head": ["batch", "_", "height", "width"],
}
