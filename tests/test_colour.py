"""Colour conversion on the host and on the device agree, and never change their inputs."""

import numpy as np
import torch

from vidstyle.colour import float_to_uint8, i420_to_rgb_host, resize, uint8_to_float, yuv420_to_rgb


def i420_ramp(n: int = 2, height: int = 8, width: int = 12) -> torch.Tensor:
    rows = height * 3 // 2
    planes = torch.arange(n * rows * width).remainder(200).add(16).to(torch.uint8).reshape(n, rows, width)
    return planes


def test_limited_range_white_is_white() -> None:
    planes = torch.full((1, 12, 8), 128, dtype=torch.uint8)
    planes[:, :8] = 235
    assert torch.allclose(yuv420_to_rgb(planes), torch.ones(1, 3, 8, 8), atol=1e-6)


def test_host_and_device_i420_conversion_agree() -> None:
    planes = i420_ramp()
    host = i420_to_rgb_host(planes.numpy())
    device = float_to_uint8(yuv420_to_rgb(planes)).numpy()
    assert host.shape == device.shape == (2, 8, 12, 3)
    assert np.abs(host.astype(int) - device.astype(int)).max() <= 3


def test_pure_functions_leave_inputs_alone() -> None:
    pixels = torch.randint(0, 256, (2, 9, 7, 3), dtype=torch.uint8)
    before = pixels.clone()
    images = uint8_to_float(pixels)
    smaller = resize(images, (5, 4))
    assert smaller.shape == (2, 3, 5, 4)
    assert torch.equal(pixels, before)
    assert torch.equal(float_to_uint8(images), pixels)
