"""Growing and trimming a multi-style net's norm rows (training/styles.py)."""

from __future__ import annotations

import torch

from vidstyle.net import TransformerNet
from vidstyle.stylemix import one_hot
from vidstyle.training.styles import extend_styles, keep_styles


def three_style_net() -> TransformerNet:
    torch.manual_seed(0)
    net = TransformerNet(width=0.25, style_count=3)
    with torch.no_grad():
        for name, value in net.named_parameters():
            if value.dim() == 2:  # give each style rows of its own
                value.add_(torch.randn_like(value) * 0.3)
    return net.eval()


def test_kept_styles_give_exactly_their_old_pictures_in_the_order_asked() -> None:
    net = three_style_net()
    kept = keep_styles(net, [2, 0])
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        assert kept.style_count == 2
        assert torch.equal(kept(x, one_hot(0, 2)[None]), net(x, one_hot(2, 3)[None]))
        assert torch.equal(kept(x, one_hot(1, 2)[None]), net(x, one_hot(0, 3)[None]))
        assert not torch.equal(kept(x, one_hot(0, 2)[None]), kept(x, one_hot(1, 2)[None]))


def test_extended_styles_keep_the_old_rows_and_start_new_ones_at_their_mean() -> None:
    net = three_style_net()
    grown = extend_styles(net, 2)
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        assert grown.style_count == 5
        for row in range(3):
            assert torch.equal(grown(x, one_hot(row, 5)[None]), net(x, one_hot(row, 3)[None]))
        mean = torch.full((1, 3), 1 / 3, dtype=torch.float64)
        # In float64 the nets' own rounding is near 1e-15 on any CPU, however its kernels add up.
        # What is left is the new row's: stored in float32, it is the mean to within 6e-8 relative,
        # which the layers grow to about 2e-7 in the picture. A wrong row is off by 1e-2 or more.
        x64, row = x.double(), one_hot(4, 5)[None].double()
        torch.testing.assert_close(grown.double()(x64, row), net.double()(x64, mean), rtol=0, atol=1e-5)
