"""Pixel math, pure functions on tensors that never change their inputs: Y'CbCr <-> RGB on
the device (torch) and on the host (OpenCV), uint8 <-> float, and resizing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import torch
import torch.nn.functional as F

if TYPE_CHECKING:  # numpy only for the host conversion below, so the device path needs torch alone
    import numpy as np

# Y'CbCr -> R'G'B' coefficients (Kr, Kb) of the two matrices video actually uses.
_MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}


def yuv420_to_rgb(
    planes: torch.Tensor, *, matrix: Literal["bt601", "bt709"] = "bt601", full_range: bool = False
) -> torch.Tensor:
    """Packed I420 uint8 [N, H*3/2, W] -> float RGB [N, 3, H, W] in [0, 1], on the planes' device.

    Chroma is upsampled by nearest neighbour, as swscale's default fast path does.
    """
    n, rows, width = planes.shape
    height = rows * 2 // 3
    y = planes[:, :height].float()
    chroma = planes[:, height:].reshape(n, 2, height // 2, width // 2).float()
    u = chroma[:, 0].repeat_interleave(2, 1).repeat_interleave(2, 2)
    v = chroma[:, 1].repeat_interleave(2, 1).repeat_interleave(2, 2)
    if full_range:
        y, u, v = y / 255.0, (u - 128.0) / 255.0, (v - 128.0) / 255.0
    else:
        y, u, v = (y - 16.0) / 219.0, (u - 128.0) / 224.0, (v - 128.0) / 224.0
    kr, kb = _MATRICES[matrix]
    kg = 1.0 - kr - kb
    r = y + 2.0 * (1.0 - kr) * v
    b = y + 2.0 * (1.0 - kb) * u
    g = (y - kr * r - kb * b) / kg
    return torch.stack((r, g, b), dim=1).clamp(0.0, 1.0)


def i420_to_rgb_host(planes: np.ndarray) -> np.ndarray:
    """Packed I420 uint8 [N, H*3/2, W] -> uint8 RGB [N, H, W, 3] on the host (OpenCV, BT.601).

    For host-side work that needs RGB (the temporal blend's optical flow) when the frames
    travel as I420 to be converted on the device.
    """
    import cv2
    import numpy as np

    return np.stack([cv2.cvtColor(p, cv2.COLOR_YUV2RGB_I420) for p in planes])


def uint8_to_float(frames: torch.Tensor) -> torch.Tensor:
    """uint8 NHWC -> float NCHW in [0, 1]; channels_last memory, which the convs prefer."""
    return frames.permute(0, 3, 1, 2).float().div(255.0)


def float_to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float NCHW in [0, 1] -> uint8 NHWC, rounded to nearest."""
    return images.float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def fit_max_side(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """The size to run the net at: the source size, or scaled down so the longer side is max_side."""
    if max_side is None or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear with antialiasing on the way down, so small net sizes do not alias."""
    if tuple(images.shape[-2:]) == size:
        return images
    downscale = size[0] < images.shape[-2] or size[1] < images.shape[-1]
    return F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=downscale)


def rgb_to_ycbcr(images: torch.Tensor) -> torch.Tensor:
    """BT.601 full range, NCHW float in [0, 1]."""
    r, g, b = images.unbind(dim=1)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 0.5 + (b - y) * 0.564
    cr = 0.5 + (r - y) * 0.713
    return torch.stack((y, cb, cr), dim=1)


def ycbcr_to_rgb(images: torch.Tensor) -> torch.Tensor:
    y, cb, cr = images.unbind(dim=1)
    r = y + 1.403 * (cr - 0.5)
    b = y + 1.773 * (cb - 0.5)
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return torch.stack((r, g, b), dim=1).clamp(0.0, 1.0)


def transfer_luminance(stylized: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Keep the original's colours and the stylized luminance (Gatys et al. 2016, colour preservation)."""
    mixed = torch.cat((rgb_to_ycbcr(stylized)[:, :1], rgb_to_ycbcr(original)[:, 1:]), dim=1)
    return ycbcr_to_rgb(mixed)
