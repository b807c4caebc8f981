"""Models of pytorch/examples' fast_neural_style (a torch state dict) as vidstyle models.

Their TransformerNet is ours layer for layer: reflection-padded convs, affine instance norm,
five residual blocks, nearest upsampling then a conv, and a 9x9 conv at the end. Three things
differ, and the conversion maps each:

- Input: theirs takes RGB in 0-255, ours in [0, 1]. The first conv's weights are scaled by 255,
  which gives the same conv output exactly.
- Biases: theirs has one on every conv; ours has none in front of an instance norm, which
  subtracts each channel's mean and so cancels such a bias exactly. They are dropped.
- Output: theirs returns 0-255 unclamped and its picture is the output clamped to 0-255; ours
  ends in 0.5 * (tanh(z) + 1). No affine map of the last conv turns a tanh into a clamp, so the
  pictures cannot match exactly. Per colour channel, the gain and centre of the tanh are fitted
  to their clamp over the outputs the model gives on calibration pictures, and the difference
  that remains is measured on those pictures and written into the card.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .atomic import file_sha256
from .errors import ModelFileError
from .modelfile import ModelCard, save_model
from .net import TransformerNet, channels_for

SOURCE_FORMAT = "pytorch/examples fast_neural_style"
RESIDUAL_BLOCKS = 5
# Keys an old torch wrote for InstanceNorm2d; their net never reads them (no running stats).
_IGNORED_SUFFIXES = (".running_mean", ".running_var", ".num_batches_tracked")

# Their (conv, norm) pairs in order, with where each lands in our net: (their conv, their norm,
# our conv, our norm). Our convs are Sequential(pad, conv), hence the ".1".
_PAIRS: list[tuple[str, str, str, str]] = [
    ("conv1", "in1", "encoder.0.0.1", "encoder.0.1"),
    ("conv2", "in2", "encoder.1.0.1", "encoder.1.1"),
    ("conv3", "in3", "encoder.2.0.1", "encoder.2.1"),
    *[
        pair
        for i in range(RESIDUAL_BLOCKS)
        for pair in (
            (f"res{i + 1}.conv1", f"res{i + 1}.in1", f"residuals.{i}.body.0.0.1", f"residuals.{i}.body.0.1"),
            (f"res{i + 1}.conv2", f"res{i + 1}.in2", f"residuals.{i}.body.1.1", f"residuals.{i}.body.2"),
        )
    ],
    ("deconv1", "in4", "decoder.0.conv.0.1", "decoder.0.conv.1"),
    ("deconv2", "in5", "decoder.1.conv.0.1", "decoder.1.conv.1"),
]
_LAST_CONV = ("deconv3", "decoder.2.1")


def expected_keys() -> set[str]:
    """Every key of their state dict that carries a weight."""
    keys = {f"{conv}.conv2d.{p}" for conv, _, _, _ in _PAIRS for p in ("weight", "bias")}
    keys |= {f"{norm}.{p}" for _, norm, _, _ in _PAIRS for p in ("weight", "bias")}
    return keys | {f"{_LAST_CONV[0]}.conv2d.weight", f"{_LAST_CONV[0]}.conv2d.bias"}


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Their file's tensors, read with torch's weights-only loader: no code in the file runs."""
    file = Path(path)
    if not file.is_file():
        raise ModelFileError(f"model file not found: {file}")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(
            f"{file} is not a readable torch state dict ({first[:200]}); "
            "vidstyle import reads files saved with torch.save(net.state_dict(), ...)"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{file} holds a {type(state).__name__} of other things, not a state dict of tensors")
    return {str(k): v for k, v in state.items() if not str(k).endswith(_IGNORED_SUFFIXES)}


def check_layout(state: dict[str, torch.Tensor], name: str) -> float:
    """The net's width (1.0 for theirs); one error naming what does not fit their layout."""
    wanted = expected_keys()
    missing, extra = sorted(wanted - set(state)), sorted(set(state) - wanted)
    if missing or extra:
        shown = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}" if missing else "",
                f"unexpected {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}" if extra else "",
            )
            if part
        )
        raise ModelFileError(
            f"{name} is not a {SOURCE_FORMAT} state dict (conv1/in1 ... res1-res5 ... deconv3): {shown}"
        )
    c1, c2, c3 = (state[f"conv{i}.conv2d.weight"].shape[0] for i in (1, 2, 3))
    width = c1 / 32
    if channels_for(width) != (c1, c2, c3):
        raise ModelFileError(f"{name} has {c1}/{c2}/{c3} channels; vidstyle's net has 32/64/128 times a width")
    return width


@dataclass(frozen=True)
class Head:
    """Per colour channel, ours = 0.5 * (tanh(gain * (y / 255 - 0.5 - centre)) + 1), y theirs."""

    gain: tuple[float, float, float]
    centre: tuple[float, float, float]


def convert_state(state: dict[str, torch.Tensor], head: Head | None) -> dict[str, torch.Tensor]:
    """Our state dict for their weights. head=None leaves the last conv as theirs (0-255 out)."""
    ours: dict[str, torch.Tensor] = {}
    for conv, norm, our_conv, our_norm in _PAIRS:
        weight = state[f"{conv}.conv2d.weight"].float()
        ours[f"{our_conv}.weight"] = weight * 255.0 if conv == "conv1" else weight
        ours[f"{our_norm}.weight"] = state[f"{norm}.weight"].float().reshape(1, -1)
        ours[f"{our_norm}.bias"] = state[f"{norm}.bias"].float().reshape(1, -1)
    weight = state[f"{_LAST_CONV[0]}.conv2d.weight"].float()
    bias = state[f"{_LAST_CONV[0]}.conv2d.bias"].float()
    if head is not None:
        gain = torch.tensor(head.gain) / 255.0
        weight = weight * gain[:, None, None, None]
        bias = bias * gain - torch.tensor(head.gain) * (0.5 + torch.tensor(head.centre))
    ours[f"{_LAST_CONV[1]}.weight"] = weight
    ours[f"{_LAST_CONV[1]}.bias"] = bias
    return ours


def their_outputs(state: dict[str, torch.Tensor], width: float, images: list[torch.Tensor]) -> list[torch.Tensor]:
    """Their net's raw 0-255 outputs on RGB [1, 3, H, W] images in [0, 1], run through our net
    with their last conv unchanged: everything up to it is the same computation."""
    net = TransformerNet(width=width)
    net.load_state_dict(convert_state(state, None))
    net.eval().requires_grad_(False)
    captured: list[torch.Tensor] = []
    hook = net.decoder.register_forward_hook(lambda module, args, output: captured.append(output))
    try:
        for image in images:
            height, width_px = image.shape[-2:]
            net(image)
            captured[-1] = captured[-1][..., :height, :width_px]
    finally:
        hook.remove()
    return captured


def fit_head(outputs: list[torch.Tensor]) -> Head:
    """The tanh gain and centre per channel closest (least squares) to their clamped picture."""
    gains, centres = [], []
    for channel in range(3):
        values = torch.cat([y[:, channel].flatten() for y in outputs]).double() / 255.0 - 0.5
        gain, centre = _fit_channel(values)
        gains.append(gain)
        centres.append(centre)
    return Head(tuple(gains), tuple(centres))  # type: ignore[arg-type]


def _fit_channel(u: torch.Tensor) -> tuple[float, float]:
    # A histogram keeps the search cheap whatever the number of pixels; a coarse grid then a fine
    # one around its best point finds the minimum of a smooth two-parameter error without a solver
    # that could wander off.
    lo, hi = float(u.min()), float(u.max())
    hi = max(hi, lo + 1e-6)
    bins = 2048
    counts = torch.histc(u, bins=bins, min=lo, max=hi)
    step = (hi - lo) / bins
    values = torch.linspace(lo + step / 2, hi - step / 2, bins, dtype=torch.float64)  # bin centres
    weights = counts.double() / counts.sum()
    target = (values + 0.5).clamp(0.0, 1.0)

    def best(gains: torch.Tensor, shifts: torch.Tensor) -> tuple[float, float]:
        z = gains[:, None, None] * (values[None, None, :] - shifts[None, :, None])
        errors = (((0.5 * (torch.tanh(z) + 1.0) - target) ** 2) * weights).sum(-1)
        at = int(errors.argmin())
        return float(gains[at // len(shifts)]), float(shifts[at % len(shifts)])

    gain_step, shift_step = 0.1, 0.01
    gain, shift = best(
        torch.arange(0.5, 12.0, gain_step, dtype=torch.float64),
        torch.arange(-0.3, 0.3, shift_step, dtype=torch.float64),
    )
    for _ in range(2):  # each round searches the neighbourhood of the last best point 20x finer
        gains = torch.linspace(max(gain - gain_step, 0.05), gain + gain_step, 41, dtype=torch.float64)
        shifts = torch.linspace(shift - shift_step, shift + shift_step, 41, dtype=torch.float64)
        gain, shift = best(gains, shifts)
        gain_step, shift_step = gain_step / 20, shift_step / 20
    return round(gain, 4), round(shift, 4)


@dataclass(frozen=True)
class PictureError:
    """|ours - theirs| in 8-bit levels over every pixel and channel of the calibration pictures."""

    mean: float
    p99: float
    max: float


def picture_error(outputs: list[torch.Tensor], head: Head) -> PictureError:
    """How far our pictures are from theirs (their output clamped to 0-255)."""
    gain = torch.tensor(head.gain, dtype=torch.float64).view(1, 3, 1, 1)
    centre = torch.tensor(head.centre, dtype=torch.float64).view(1, 3, 1, 1)
    diffs = []
    for y in outputs:
        u = y.double() / 255.0 - 0.5
        ours = 0.5 * (torch.tanh(gain * (u - centre)) + 1.0)
        diffs.append(((ours - (u + 0.5).clamp(0.0, 1.0)).abs() * 255.0).flatten())
    every = torch.cat(diffs).float()
    sample = every[:: max(1, every.numel() // 1_000_000)]  # quantile() refuses very large inputs
    return PictureError(
        round(float(every.mean()), 2), round(float(torch.quantile(sample, 0.99)), 1), round(float(every.max()), 1)
    )


@dataclass(frozen=True)
class ImportReport:
    output: Path
    width: float
    head: Head
    error: PictureError
    calibration: tuple[str, ...]


def import_fast_neural_style(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    images: Sequence[str | os.PathLike[str]] = (),
    *,
    max_side: int = 512,
    overwrite: bool = True,
) -> ImportReport:
    """Convert their state dict at `source` into a vidstyle model at `output`, with a card that
    records its origin. The tanh is fitted on `images` (default: the bundled sample picture)
    scaled to `max_side`, and the pictures' difference from theirs is measured on them."""
    from .atomic import check_output_path
    from .images import read_image
    from .modelfile import default_model_path

    source = Path(source)
    check_output_path(output, inputs=[source], overwrite=overwrite)
    state = read_state_dict(source)
    width = check_layout(state, source.name)
    pictures = [Path(p) for p in images] or [default_model_path().parent / "sample.jpg"]
    outputs = their_outputs(state, width, [read_image(p, max_side=max_side) for p in pictures])
    head = fit_head(outputs)
    error = picture_error(outputs, head)
    net = TransformerNet(width=width)
    net.load_state_dict(convert_state(state, head))
    names = tuple(p.name for p in pictures)
    card = ModelCard(
        width=width,
        style_image="",
        styles=({"name": source.stem, "image": "", "sha256": ""},),
        trained_on=f"{SOURCE_FORMAT}, imported from {source.name}",
        segments=(_segment(source, head, error, names),),
    )
    save_model(output, net, card)
    return ImportReport(Path(output), width, head, error, names)


def _segment(source: Path, head: Head, error: PictureError, names: tuple[str, ...]) -> dict[str, Any]:
    """The card's one segment: where the weights came from and what the conversion changed."""
    return {
        "steps": 0,  # trained elsewhere, for a number of steps their file does not record
        "recipe": "imported",
        "imported_from": f"{source.name} (sha256 {file_sha256(source)})",
        "source_format": SOURCE_FORMAT,
        "output_head": {"gain": list(head.gain), "centre": list(head.centre), "fitted_on": list(names)},
        "picture_error_levels": {"mean": error.mean, "p99": error.p99, "max": error.max, "on": list(names)},
    }
