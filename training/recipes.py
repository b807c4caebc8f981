"""Named training recipes: TrainConfig values that were measured together.

A recipe fills the options a user did not give; any option given on the command line (or
to TrainConfig) wins. The card records which recipe a segment ran, so a model's history
reads as "reference, 10000 steps" rather than a list of numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vidstyle.errors import VidstyleError

VGG16_STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


@dataclass(frozen=True)
class Recipe:
    summary: str
    values: dict[str, Any]


RECIPES: dict[str, Recipe] = {
    # The public PyTorch fast-style recipe (Johnson et al.'s net, Caffe VGG16 features): fixed weights
    # on Caffe-range features, the same scale as hed-vgg16, so the numbers carry over unchanged.
    # Content 17 and style 50 are what its published mosaic models were trained with.
    "reference": Recipe(
        "Johnson-style: hed-vgg16, content relu2_2 x17, Gram style over relu1_2..relu4_3 x50, no TV, no stability, "
        "the style at its own size, 256 px crops, batch 4, Adam 1e-3, 10000 steps",
        {
            "loss_net": "hed-vgg16",
            "content_layers": ("relu2_2",),
            "style_layers": VGG16_STYLE_LAYERS,
            "content_weight": 17.0,
            "style_weight": 50.0,
            "tv_weight": 0.0,
            "stability_weight": 0.0,
            "style_size": None,
            "image_size": 256,
            "batch_size": 4,
            "lr": 1e-3,
            "steps": 10000,
        },
    ),
    # The reference recipe with the changes measured in docs/style-quality.md: each style layer's Gram
    # distance relative to its target's size (on hed-vgg16 the plain sum is relu1_2 alone, fine
    # hatching), the two shallow layers (colour, small marks) weighted 4x, and the clamp head (the tanh's
    # vanishing gradient left black blots). The style weight is for that relative distance; content x2
    # keeps the photo's shapes readable against it. 192 px crops: our crops take 50-100% of the shorter
    # side, so at 192 px they show what the reference's whole 256 px photos show (and 256 px crops
    # painted the photos' dark regions over). The gradient clip keeps one bad batch from throwing the
    # clamp head's net off (an unclipped arm diverged); it sits above the norms of healthy steps.
    "balanced": Recipe(
        "the reference recipe with each style layer weighed relative to its target (--style-balance layer), "
        "relu1_2 and relu2_2 x4, style x1e4, content x34, the clamp head and --clip-grad-norm 2e6; hed-vgg16, "
        "content relu2_2, 192 px crops, batch 4, Adam 1e-3, 10000 steps",
        {
            "loss_net": "hed-vgg16",
            "content_layers": ("relu2_2",),
            "style_layers": VGG16_STYLE_LAYERS,
            "content_weight": 34.0,
            "style_weight": 1e4,
            "style_balance": "layer",
            "style_layer_weights": (4.0, 4.0, 1.0, 1.0),
            "head": "clamp",
            "tv_weight": 0.0,
            "stability_weight": 0.0,
            "style_size": None,
            "image_size": 192,
            "batch_size": 4,
            "lr": 1e-3,
            "clip_grad_norm": 2e6,
            "steps": 10000,
        },
    ),
    # Distillation (--teacher picks it unless another recipe is named): the student matches the
    # teacher's picture in the low VGG layers that hold its strokes and edges, and in pixels for its
    # colours. Those alone drew the teacher's colours and leading but not its lattice (a width-0.25
    # student at 1000 steps: ratio 0.598 against the teacher's 0.366): the Gram term on the
    # teacher's own pictures brought it back (0.438 after 300 more steps; docs/models.md).
    "distill": Recipe(
        "a student learns a --teacher's pictures: hed-vgg16 relu1_2+relu2_2 to the teacher's output x1, "
        "L1 pixels 1x of that, the Gram matrices of the teacher's output 1x (layer balance), 256 px crops, "
        "batch 4, Adam 1e-3, 4000 steps",
        {
            "loss_net": "hed-vgg16",
            "content_layers": ("relu1_2", "relu2_2"),
            "content_weight": 1.0,
            "pixel_weight": "1x",
            "style_weight": "1x",
            "style_balance": "layer",
            "tv_weight": 0.0,
            "stability_weight": 0.0,
            "image_size": 256,
            "batch_size": 4,
            "lr": 1e-3,
            "steps": 4000,
        },
    ),
}


def recipe_values(name: str) -> dict[str, Any]:
    """The TrainConfig values of recipe `name` ("" is none: TrainConfig's own defaults)."""
    if not name:
        return {}
    if name not in RECIPES:
        raise VidstyleError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return dict(RECIPES[name].values)
