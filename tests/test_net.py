import pytest
import torch

from vidstyle.net import TransformerNet, channels_for, macs_per_pixel, pad_to_multiple


@pytest.mark.parametrize("height,width", [(64, 64), (65, 63), (241, 321), (5, 7)])
def test_output_size_equals_input_size(height: int, width: int) -> None:
    net = TransformerNet(width=0.25).eval()
    x = torch.rand(2, 3, height, width)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert 0.0 <= float(y.min()) and float(y.max()) <= 1.0


def test_width_multiplier_channels_and_macs() -> None:
    assert channels_for(1.0) == (32, 64, 128)
    assert channels_for(0.5) == (16, 32, 64)
    # 153,792 MAC per pixel is the paper net; counted from the modules, not hard-coded.
    assert macs_per_pixel(TransformerNet(width=1.0)) == 153_792
    assert macs_per_pixel(TransformerNet(width=0.5)) < 153_792 / 3


def test_pad_to_multiple_does_not_mutate() -> None:
    x = torch.rand(1, 3, 5, 6)
    before = x.clone()
    padded = pad_to_multiple(x, 4)
    assert padded.shape == (1, 3, 8, 8)
    assert torch.equal(x, before)
    assert torch.equal(padded[..., 5:, :6], x[..., 4:5, :].expand(1, 3, 3, 6))
