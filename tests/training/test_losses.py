import pytest
import torch

from vidstyle.training.losses import blended_grams, content_loss, gram_matrix, style_loss, tv_loss


def test_gram_matches_hand_computation() -> None:
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 2.0]]]])  # [1, 2, 2, 2]
    # rows: a = (1,2,3,4), b = (0,1,0,2); normalised by C*H*W = 8
    expected = torch.tensor([[[30.0, 10.0], [10.0, 5.0]]]) / 8
    assert torch.allclose(gram_matrix(f), expected)


def test_style_loss_is_zero_for_identical_images() -> None:
    feats = {"relu1_1": torch.rand(2, 4, 8, 8), "relu2_1": torch.rand(2, 6, 4, 4)}
    targets = {name: gram_matrix(value[:1]) for name, value in feats.items()}
    same = {name: value[:1].expand(2, -1, -1, -1) for name, value in feats.items()}
    assert float(style_loss(same, targets, ("relu1_1", "relu2_1"))) == 0.0
    assert float(style_loss(feats, targets, ("relu1_1", "relu2_1"))) > 0.0


def test_content_and_tv() -> None:
    a = {"relu4_2": torch.zeros(1, 2, 3, 3)}
    b = {"relu4_2": torch.ones(1, 2, 3, 3)}
    assert float(content_loss(a, b, ("relu4_2",))) == 1.0
    flat = torch.full((1, 3, 5, 5), 0.3)
    assert float(tv_loss(flat)) == 0.0
    stripes = torch.zeros(1, 1, 2, 4)
    stripes[..., 1::2] = 1.0
    assert abs(float(tv_loss(stripes)) - 1.0) < 1e-6  # every horizontal step is 1, vertical 0


def test_blended_grams_weights_normalise() -> None:
    f1 = {"l": torch.rand(1, 3, 4, 4)}
    f2 = {"l": torch.rand(1, 3, 4, 4)}
    mixed = blended_grams([f1, f2], [3.0, 1.0], ("l",))["l"]
    assert torch.allclose(mixed, 0.75 * gram_matrix(f1["l"]) + 0.25 * gram_matrix(f2["l"]))


def test_layer_balance_weighs_every_layer_alike_whatever_its_scale() -> None:
    torch.manual_seed(0)
    style = {"shallow": torch.rand(1, 4, 8, 8), "deep": torch.rand(1, 6, 4, 4)}
    output = {"shallow": torch.rand(2, 4, 8, 8), "deep": torch.rand(2, 6, 4, 4)}
    # The same features, with the shallow layer 1000x larger (as relu1_2 is beside relu4_3 on Caffe VGG16).
    loud_style = {"shallow": 1000 * style["shallow"], "deep": style["deep"]}
    loud_output = {"shallow": 1000 * output["shallow"], "deep": output["deep"]}
    layers = ("shallow", "deep")
    targets = {name: gram_matrix(value) for name, value in style.items()}
    loud_targets = {name: gram_matrix(value) for name, value in loud_style.items()}
    quiet, loud = (
        float(style_loss(output, targets, layers, balance="layer")),
        float(style_loss(loud_output, loud_targets, layers, balance="layer")),
    )
    assert abs(loud - quiet) < 1e-4 * quiet  # relative per layer: the scale drops out
    # a plain sum is all shallow layer
    assert float(style_loss(loud_output, loud_targets, layers)) > 1e6 * float(style_loss(output, targets, layers))
    shallow_share = float(style_loss(output, targets, ("shallow",), balance="layer")) / quiet
    assert 0.05 < shallow_share < 0.95


def test_layer_balance_is_zero_at_the_target_and_refuses_unknown_names() -> None:
    feats = {"l": torch.rand(2, 3, 4, 4)}
    targets = {"l": gram_matrix(feats["l"][:1])}
    assert float(style_loss({"l": feats["l"][:1]}, targets, ("l",), balance="layer")) == 0.0
    with pytest.raises(ValueError, match="layer"):
        style_loss(feats, targets, ("l",), balance="mean")  # type: ignore[arg-type]


def test_layer_weights_scale_each_layer_term_and_must_match_the_layers() -> None:
    torch.manual_seed(0)
    feats = {"a": torch.rand(2, 3, 4, 4), "b": torch.rand(2, 5, 2, 2)}
    targets = {"a": gram_matrix(torch.rand(1, 3, 4, 4)), "b": gram_matrix(torch.rand(1, 5, 2, 2))}
    a, b = (float(style_loss(feats, targets, (name,), balance="layer")) for name in ("a", "b"))
    weighted = float(style_loss(feats, targets, ("a", "b"), balance="layer", layer_weights=(4.0, 0.5)))
    assert weighted == pytest.approx(4 * a + 0.5 * b, rel=1e-5)
    assert float(style_loss(feats, targets, ("a", "b"), layer_weights=(0.0, 0.0))) == 0.0
    with pytest.raises(ValueError, match="2 style layers"):
        style_loss(feats, targets, ("a", "b"), layer_weights=(1.0,))
