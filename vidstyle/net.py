"""TransformerNet: Johnson et al. (2016) with the now-standard refinements.

Reflection padding inside each conv, affine instance norm, and nearest-neighbour
upsampling followed by a conv (no transposed conv, so no checkerboard artefacts).
Input and output are RGB float in [0, 1], NCHW, of any height and width.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

# The downsampling path halves twice, so the net itself works on multiples of 4.
SIZE_MULTIPLE = 4

# The last layer, from the final conv's z to the picture. "tanh": 0.5 * (tanh(z) + 1), Johnson's
# bounded output. "clamp": 0.5 * (z + 1), clamped to [0, 1] only when the net runs (eval mode), as
# the public fast-style nets do. The tanh's gradient vanishes where |z| is large, so a pixel the
# net once drove far into black or white stays there (the black "droplet" blots of long style
# training); without the clamp in training, the loss pulls such pixels back into range. The two
# agree to first order around z = 0, so a tanh net can go on training as a clamp net.
Head = Literal["tanh", "clamp"]
HEADS: tuple[Head, ...] = ("tanh", "clamp")


class ConvLayer(nn.Sequential):
    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, *, bias: bool = True
    ) -> None:
        super().__init__(
            nn.ReflectionPad2d(kernel_size // 2), nn.Conv2d(in_channels, out_channels, kernel_size, stride, bias=bias)
        )


# A conv that feeds an instance norm has no bias: the norm subtracts each channel's mean, which
# cancels a per-channel bias exactly. Such a bias is a weight with a zero gradient, and Adam turns
# the rounding noise in a zero gradient into steps of the full learning rate.


class TakesStyle:
    """Marks layers whose forward takes (x, style_weights)."""


class ConditionalInstanceNorm(nn.Module, TakesStyle):
    """Instance norm with N rows of (gamma, beta); a style-weight vector w mixes them.

    gamma = w @ Gamma and beta = w @ Beta (Dumoulin et al. 2017). A plain MatMul rather than
    indexing by style, so a mix works at run time and the graph exports to ONNX/TensorRT.
    """

    def __init__(self, channels: int, style_count: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(style_count, channels))
        self.bias = nn.Parameter(torch.zeros(style_count, channels))

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        gamma = style_weights @ self.weight
        beta = style_weights @ self.bias
        return F.instance_norm(x) * gamma[:, :, None, None] + beta[:, :, None, None]


# The blocks below are ModuleLists, not Sequentials, because the norms take the style
# weights as a second input; a ModuleList names its children 0, 1, 2 as a Sequential did,
# so model files written before multi-style keep their tensor names.


def run_layers(layers: nn.ModuleList, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
    for layer in layers:
        x = layer(x, style_weights) if isinstance(layer, TakesStyle) else layer(x)
    return x


class StyleBlock(nn.ModuleList, TakesStyle):
    """A list of layers run in order, the norms among them conditioned on the style weights."""

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return run_layers(self, x, style_weights)


class ConvNormReLU(StyleBlock):
    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, style_count: int, stride: int = 1
    ) -> None:
        super().__init__(
            [
                ConvLayer(in_channels, out_channels, kernel_size, stride, bias=False),
                ConditionalInstanceNorm(out_channels, style_count),
                nn.ReLU(),
            ]
        )


class SeparableConvLayer(nn.Sequential):
    """A 3x3 conv as a depthwise 3x3 then a pointwise 1x1: about C/9 + 1 times fewer multiply-adds
    than the full conv at C channels (8x at 64), which is what lets a small net run live on a CPU."""

    def __init__(self, channels: int) -> None:
        super().__init__(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, groups=channels, bias=False),
            nn.Conv2d(channels, channels, 1, bias=False),
        )


class ResidualBlock(nn.Module, TakesStyle):
    def __init__(self, channels: int, style_count: int, *, separable: bool = False) -> None:
        super().__init__()
        if separable:
            convs = [SeparableConvLayer(channels), SeparableConvLayer(channels)]
            self.body = StyleBlock(
                [
                    StyleBlock([convs[0], ConditionalInstanceNorm(channels, style_count), nn.ReLU()]),
                    convs[1],
                    ConditionalInstanceNorm(channels, style_count),
                ]
            )
        else:
            self.body = StyleBlock(
                [
                    ConvNormReLU(channels, channels, 3, style_count),
                    ConvLayer(channels, channels, 3, bias=False),
                    ConditionalInstanceNorm(channels, style_count),
                ]
            )

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        return x + self.body(x, style_weights)


class UpsampleConvNormReLU(nn.Module, TakesStyle):
    def __init__(self, in_channels: int, out_channels: int, style_count: int) -> None:
        super().__init__()
        self.conv = ConvNormReLU(in_channels, out_channels, 3, style_count)

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"), style_weights)


def channels_for(width: float) -> tuple[int, int, int]:
    """Width 1.0 is the paper's 32/64/128 channels."""
    if not 0.0 < width <= 4.0:
        raise ValueError(f"width must be in (0, 4], got {width}")
    return tuple(max(4, round(c * width)) for c in (32, 64, 128))  # type: ignore[return-value]


class TransformerNet(nn.Module):
    """`style_count` rows of norm parameters share one set of convs; style_count=1 is a single-style net."""

    def __init__(
        self,
        width: float = 1.0,
        residual_blocks: int = 5,
        style_count: int = 1,
        *,
        separable: bool = False,
        head: Head = "tanh",
    ) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
        if style_count < 1:
            raise ValueError(f"style_count must be >= 1, got {style_count}")
        if not 0 <= residual_blocks <= 16:
            raise ValueError(f"residual_blocks must be from 0 to 16, got {residual_blocks}")
        self.width = width
        self.style_count = style_count
        self.separable = separable
        self.head = head
        c1, c2, c3 = channels_for(width)
        self.encoder = StyleBlock(
            [
                ConvNormReLU(3, c1, 9, style_count),
                ConvNormReLU(c1, c2, 3, style_count, stride=2),
                ConvNormReLU(c2, c3, 3, style_count, stride=2),
            ]
        )
        self.residuals = StyleBlock(
            [ResidualBlock(c3, style_count, separable=separable) for _ in range(residual_blocks)]
        )
        self.decoder = StyleBlock(
            [UpsampleConvNormReLU(c3, c2, style_count), UpsampleConvNormReLU(c2, c1, style_count), ConvLayer(c1, 3, 9)]
        )

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, 3, H, W] in [0, 1]; style_weights [B, N] (may be omitted when N == 1)."""
        if style_weights is None:
            if self.style_count != 1:
                raise ValueError(
                    f"this net holds {self.style_count} styles; pass style_weights of shape [B, {self.style_count}]"
                )
            # Shape arithmetic on x, so an exported graph keeps a dynamic batch.
            style_weights = torch.ones_like(x[:, :1, 0, 0])
        height, width = x.shape[-2:]
        padded = pad_to_multiple(x, SIZE_MULTIPLE)
        y = self.decoder(self.residuals(self.encoder(padded, style_weights), style_weights), style_weights)
        if self.head == "tanh":
            y = 0.5 * (torch.tanh(y) + 1.0)
        else:
            y = 0.5 * (y + 1.0)
            if not self.training:
                y = y.clamp(0.0, 1.0)
        return y[..., :height, :width]


def same_shape(net: TransformerNet, style_count: int) -> TransformerNet:
    """A fresh net of `net`'s architecture with `style_count` rows of norm parameters."""
    return TransformerNet(
        width=net.width,
        residual_blocks=len(net.residuals),
        style_count=style_count,
        separable=net.separable,
        head=net.head,
    )


def redundant_biases(net: TransformerNet) -> set[str]:
    """Names older files used for the conv biases in front of each norm (see ConvLayer)."""
    return {
        f"{name}.bias" for name, module in net.named_modules() if isinstance(module, nn.Conv2d) and module.bias is None
    }


def upgrade_state(state: dict[str, torch.Tensor], net: TransformerNet) -> dict[str, torch.Tensor]:
    """Older files to today's layout: single-style files stored each norm's gamma/beta as [C]
    (now [N, C]), and files held a bias on every conv (dropped where a norm cancels it, so the
    output is unchanged)."""
    wanted = net.state_dict()
    dropped = redundant_biases(net)
    return {
        k: v.reshape(wanted[k].shape) if k in wanted and v.dim() == 1 and wanted[k].dim() == 2 else v
        for k, v in state.items()
        if k not in dropped
    }


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
