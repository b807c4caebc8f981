"""TransformerNet: Johnson et al. (2016) with the now-standard refinements.

Reflection padding inside each conv, affine instance norm, and nearest-neighbour
upsampling followed by a conv (no transposed conv, so no checkerboard artefacts).
Input and output are RGB float in [0, 1], NCHW, of any height and width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# The downsampling path halves twice, so the net itself works on multiples of 4.
SIZE_MULTIPLE = 4


class ConvLayer(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReflectionPad2d(kernel_size // 2),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride),
        )


class ConvNormReLU(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__(
            ConvLayer(in_channels, out_channels, kernel_size, stride),
            nn.InstanceNorm2d(out_channels, affine=True),
            nn.ReLU(),
        )


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormReLU(channels, channels, 3),
            ConvLayer(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpsampleConvNormReLU(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = ConvNormReLU(in_channels, out_channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def channels_for(width: float) -> tuple[int, int, int]:
    """Width 1.0 is the paper's 32/64/128 channels."""
    if not 0.0 < width <= 4.0:
        raise ValueError(f"width must be in (0, 4], got {width}")
    return tuple(max(4, round(c * width)) for c in (32, 64, 128))  # type: ignore[return-value]


class TransformerNet(nn.Module):
    def __init__(self, width: float = 1.0, residual_blocks: int = 5) -> None:
        super().__init__()
        self.width = width
        c1, c2, c3 = channels_for(width)
        self.encoder = nn.Sequential(
            ConvNormReLU(3, c1, 9),
            ConvNormReLU(c1, c2, 3, stride=2),
            ConvNormReLU(c2, c3, 3, stride=2),
        )
        self.residuals = nn.Sequential(*(ResidualBlock(c3) for _ in range(residual_blocks)))
        self.decoder = nn.Sequential(
            UpsampleConvNormReLU(c3, c2),
            UpsampleConvNormReLU(c2, c1),
            ConvLayer(c1, 3, 9),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, SIZE_MULTIPLE)
        y = self.decoder(self.residuals(self.encoder(padded)))
        # Johnson's scaled tanh keeps the output inside [0, 1] while staying smooth for training.
        y = 0.5 * (torch.tanh(y) + 1.0)
        return y[..., :height, :width]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right by repeating edge pixels; replicate works for any size, reflect does not."""
    height, width = x.shape[-2:]
    # No early return for aligned sizes: exporters trace one branch, and this must stay
    # shape arithmetic in the graph so any H and W work after export.
    return F.pad(x, (0, (-width) % multiple, 0, (-height) % multiple), mode="replicate")


def macs_per_pixel(net: TransformerNet) -> int:
    """Multiply-accumulates per input pixel, counted from the convs (for roofline numbers)."""
    total = 0.0
    scale = 1.0  # pixels of the current feature map per input pixel
    for module in net.modules():
        if isinstance(module, UpsampleConvNormReLU):
            scale *= 4.0
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            scale /= module.stride[0] * module.stride[1]
            total += scale * kh * kw * module.in_channels * module.out_channels // module.groups
    return round(total)
