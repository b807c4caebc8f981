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


def _randomised(net: TransformerNet, seed: int) -> TransformerNet:
    """Norm rows that differ from their init, so style choice changes the output."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return net.eval()


def test_one_hot_style_equals_the_single_style_net_built_from_that_row() -> None:
    torch.manual_seed(0)
    multi = _randomised(TransformerNet(width=0.25, style_count=3), seed=1)
    x = torch.rand(2, 3, 21, 26)
    for index in range(3):
        single = TransformerNet(width=0.25, style_count=1).eval()
        state = {k: (v[index : index + 1] if v.dim() == 2 else v) for k, v in multi.state_dict().items()}
        single.load_state_dict(state)
        one_hot = torch.nn.functional.one_hot(torch.tensor([index, index]), 3).float()
        with torch.no_grad():
            assert torch.equal(multi(x, one_hot), single(x))


def test_style_mix_is_linear_in_the_norm_parameters() -> None:
    # float64: the check is of the algebra, not of float32 rounding, which differs between CPUs.
    norm = _randomised(TransformerNet(width=0.25, style_count=3), seed=2).encoder[0][1].double()
    mix = torch.tensor([[0.7, 0.0, 0.3]], dtype=torch.float64)
    seen: dict[str, torch.Tensor] = {}
    x = torch.rand(1, norm.weight.shape[1], 5, 5, dtype=torch.float64)
    # gamma and beta read back from the output: normalised input * gamma + beta
    with torch.no_grad():
        normalised = torch.nn.functional.instance_norm(x)
        out = norm(x, mix)
        seen["beta"] = norm(torch.zeros_like(x), mix)[0, :, 0, 0]
        seen["gamma"] = ((out - seen["beta"][None, :, None, None]) / normalised)[0].flatten(1).median(dim=1).values
    expected_gamma = 0.7 * norm.weight[0] + 0.3 * norm.weight[2]
    expected_beta = 0.7 * norm.bias[0] + 0.3 * norm.bias[2]
    torch.testing.assert_close(seen["gamma"], expected_gamma, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(seen["beta"], expected_beta, rtol=1e-12, atol=1e-12)


def test_multi_style_net_needs_style_weights() -> None:
    with pytest.raises(ValueError, match=r"holds 3 styles; pass style_weights of shape \[B, 3\]"):
        TransformerNet(width=0.25, style_count=3)(torch.rand(1, 3, 8, 8))


def test_old_files_with_a_bias_in_front_of_each_norm_load_with_the_same_output() -> None:
    from conftest import random_norms, with_old_conv_biases
    from vidstyle.net import redundant_biases, upgrade_state

    torch.manual_seed(3)
    old = with_old_conv_biases(random_norms(TransformerNet(width=0.25, style_count=2)))
    new = TransformerNet(width=0.25, style_count=2)
    # 3 encoder convs, 2 per residual block, 2 decoder convs; the output conv keeps its bias.
    assert len(redundant_biases(new)) == 3 + 5 * 2 + 2
    assert set(old.state_dict()) - set(new.state_dict()) == redundant_biases(new)
    new.load_state_dict(upgrade_state(old.state_dict(), new))
    x, w = torch.rand(2, 3, 21, 30, dtype=torch.float64), torch.tensor([[1.0, 0.0], [0.3, 0.7]], dtype=torch.float64)
    with torch.no_grad():
        # The dropped biases cancel only in exact arithmetic. In float64 what is left is rounding
        # near 1e-15 on any CPU, however its kernels add up; a wrong upgrade is off by 1e-2 or more.
        torch.testing.assert_close(new.double()(x, w), old.double()(x, w), rtol=0, atol=1e-10)


def test_clamp_head_is_linear_in_training_and_clamped_when_run() -> None:
    torch.manual_seed(0)
    net = TransformerNet(width=0.25, head="clamp")
    with torch.no_grad():
        net.decoder[-1][1].weight.mul_(50.0)  # drive the last conv far past the picture's range
    x = torch.rand(1, 3, 32, 32)
    y = net.train()(x)
    assert float(y.min()) < 0.0 and float(y.max()) > 1.0
    # Pixels far outside [0, 1] still get a gradient: nothing saturates while training.
    y.sum().backward()
    assert net.decoder[-1][1].weight.grad.abs().sum() > 0  # type: ignore[union-attr]
    with torch.no_grad():
        run = net.eval()(x)
    assert 0.0 <= float(run.min()) and float(run.max()) <= 1.0
    assert torch.equal(run, y.detach().clamp(0.0, 1.0))


def test_heads_agree_around_mid_grey_and_an_unknown_head_is_refused() -> None:
    torch.manual_seed(0)
    tanh_net = TransformerNet(width=0.25).eval()
    clamp_net = TransformerNet(width=0.25, head="clamp").eval()
    with torch.no_grad():
        tanh_net.decoder[-1][1].weight.mul_(0.01)
        tanh_net.decoder[-1][1].bias.zero_()  # type: ignore[union-attr]
    clamp_net.load_state_dict(tanh_net.state_dict())
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(tanh_net(x), clamp_net(x), atol=1e-4)
    with pytest.raises(ValueError, match="head"):
        TransformerNet(head="sigmoid")  # type: ignore[arg-type]
