"""What a training run is asked to do, and the checks on it that need no data or model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from vidstyle.errors import VidstyleError
from vidstyle.net import HEADS, Head

from .losses import STYLE_BALANCES, StyleBalance
from .weights import Weight


@dataclass
class TrainConfig:
    data: str
    style: str | list[str]  # several images train one multi-style network
    output: str
    steps: int = 2000
    image_size: int = 256
    batch_size: int = 4
    lr: float = 1e-3
    clip_grad_norm: float = 0.0  # 0: off; else a step's gradient is scaled down to at most this norm
    content_weight: float = 1.0
    style_weight: Weight = "10x"  # "Nx": the term starts at N times the content term (see weights.py)
    style_balance: StyleBalance = "sum"  # how the style layers add up (see losses.py)
    style_layer_weights: tuple[float, ...] | None = (
        None  # one multiplier per style layer, after the balance; None: all 1
    )
    tv_weight: Weight = "1e-3x"
    stability_weight: float = 0.0
    style_size: int | None = 512
    content_layers: tuple[str, ...] = ()  # empty: the loss net's own defaults
    style_layers: tuple[str, ...] = ()
    loss_net: str = "auto"
    vgg_weights: str | None = None
    width: float | None = None  # None: 1.0, or the width of the --init-from model
    residual_blocks: int = 5
    separable: bool = False  # depthwise-separable residual convs: the small real-time nets
    head: Head | None = None  # the output layer (see net.py); None: tanh, or the --init-from model's
    teacher: str | None = None  # a model file: distil it (its output is the target; its styles are the student's)
    pixel_weight: Weight = 0.0  # distillation: L1 to the teacher's picture, a number or Nx of the content term
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    checkpoint_every: int = 500
    preview_every: int = 500
    run_dir: str | None = None
    resume: str | None = None
    workers: int = 0
    half_weights: bool = False
    resume_from: str | None = None  # a model file: add config.style to its styles, training only the new norm rows
    init_from: str | None = (
        None  # a model file: start from its weights (fresh optimizer, lr warm-up) and add a segment to its card
    )
    warmup_steps: int = (
        100  # after --init-from, the lr ramps up over this many steps (a fresh Adam's first steps are full size)
    )
    recipe: str = ""  # the named recipe that filled the options not given (recorded in the card)
    threads: int | None = None  # torch's intra-op threads (None: torch's default, one per core)
    snapshot_every: int = 1000  # write RUN/model-NNNNNN.safetensors (fp16) every N steps; 0: never
    progress: bool = True
    # replace the output and start over in a run folder that holds a run, as the API's writers do;
    # the CLI refuses without -y
    overwrite: bool = True


def run_dir_for(config: TrainConfig) -> Path:
    if config.run_dir:
        return Path(config.run_dir)
    out = Path(config.output)
    return out.with_name(out.stem + "-run")


# The loss nets pool four times before their deepest style layer, which needs at least 1 pixel.
MIN_IMAGE_SIZE = 16


def positive_finite(label: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise VidstyleError(f"{label} must be a positive finite number, got {value}")


def non_negative(label: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise VidstyleError(f"{label} must be 0 or more, got {value}")


def check_layer_weights(weights: tuple[float, ...] | None, style_layers: tuple[str, ...]) -> None:
    """Style layer weights, once the loss net has said which style layers there are: one each."""
    if weights is not None and len(weights) != len(style_layers):
        raise VidstyleError(
            f"--style-layer-weights gives {len(weights)} numbers for {len(style_layers)} style layers "
            f"({', '.join(style_layers)})"
        )
    for weight in weights or ():
        non_negative("a style layer weight", weight)


def check_picture_side(label: str, picture: torch.Tensor) -> None:
    """A picture the loss network would pool to nothing, refused in one line."""
    height, width = picture.shape[-2:]
    if min(height, width) < MIN_IMAGE_SIZE:
        raise VidstyleError(
            f"{label} would be {width}x{height} px; "
            f"the loss network pools 4 times and needs {MIN_IMAGE_SIZE} px on each side"
        )


def check_config(config: TrainConfig) -> None:
    """Numbers that would fail deep inside training (or train on NaN), refused up front."""
    for name in ("image_size", "style_size"):
        value = getattr(config, name)
        if value is not None and value < MIN_IMAGE_SIZE:
            raise VidstyleError(
                f"{name.replace('_', ' ')} must be at least {MIN_IMAGE_SIZE} pixels "
                f"(the loss network pools 4 times), got {value}"
            )
    positive_finite("learning rate", config.lr)
    if config.head is not None and config.head not in HEADS:
        raise VidstyleError(f"head must be one of {', '.join(HEADS)}, got {config.head!r}")
    if config.style_balance not in STYLE_BALANCES:
        raise VidstyleError(f"style balance must be one of {', '.join(STYLE_BALANCES)}, got {config.style_balance!r}")
    if config.width is not None and not (math.isfinite(config.width) and 0 < config.width <= 4):
        raise VidstyleError(f"width must be a number above 0 and at most 4, got {config.width}")
    if config.threads is not None and config.threads < 1:
        raise VidstyleError(f"threads must be 1 or more, got {config.threads}")
    if not 0 <= config.residual_blocks <= 16:
        raise VidstyleError(f"residual blocks must be from 0 to 16, got {config.residual_blocks}")
    if config.teacher and config.resume_from:
        raise VidstyleError("--teacher gives the student the teacher's styles; it does not combine with --resume-from")
    if config.init_from and config.resume_from:
        raise VidstyleError(
            "--init-from continues a model's training and --resume-from adds styles to one; give one of them"
        )
    for name in (
        "content_weight",
        "stability_weight",
        "preview_every",
        "workers",
        "snapshot_every",
        "warmup_steps",
        "clip_grad_norm",
    ):
        non_negative(name.replace("_", " "), getattr(config, name))
    if Path(config.output).suffix.lower() != ".safetensors":  # what load_model and --model expect
        raise VidstyleError(
            "the model is written as safetensors, so the output must end in .safetensors, "
            f"not {Path(config.output).name!r}"
        )
    run_dir = run_dir_for(config)
    if run_dir.exists() and not run_dir.is_dir():
        raise VidstyleError(f"the run folder {run_dir} is a file; choose another --run-dir")
    if run_dir.resolve() == Path(config.output).resolve():
        raise VidstyleError(f"the run folder and the output are both {config.output}; give --run-dir another name")
    if not 0 <= config.seed < 2**63:
        raise VidstyleError(f"seed must be from 0 to 2**63 - 1, got {config.seed}")
    if run_dir.resolve().is_relative_to(Path(config.data).resolve()):
        raise VidstyleError(
            f"the run folder {run_dir} is inside the training data {config.data}: "
            "its previews would become training images; choose --run-dir (or the output) elsewhere"
        )
