"""Models of pytorch/examples' fast_neural_style (a torch state dict) as vidstyle models.

Their TransformerNet is ours layer for layer: reflection-padded convs, affine instance norm,
five residual blocks, nearest upsampling then a conv, and a 9x9 conv at the end. Three things
differ, and the conversion maps each:

- Input: theirs takes RGB in 0-255, ours in [0, 1]. The first conv's weights are scaled by 255,
  which gives the same conv output exactly.
- Biases: theirs has one on every conv; ours has none in front of an instance norm, which
  subtracts each channel's mean and so cancels such a bias exactly. They are dropped.
- Output: theirs returns 0-255 unclamped and its picture is the output clamped to 0-255. The
  imported net gets the clamp head (net.py), whose picture is 0.5 * (z + 1) clamped to [0, 1]:
  the last conv's weights scaled by 2/255 and its bias by 2/255, less 1, make z + 1 = 2 y / 255
  for their output y, so the pictures are theirs up to float rounding.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

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


def convert_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our state dict, for the clamp head, from their weights."""
    ours: dict[str, torch.Tensor] = {}
    for conv, norm, our_conv, our_norm in _PAIRS:
        weight = state[f"{conv}.conv2d.weight"].float()
        ours[f"{our_conv}.weight"] = weight * 255.0 if conv == "conv1" else weight
        ours[f"{our_norm}.weight"] = state[f"{norm}.weight"].float().reshape(1, -1)
        ours[f"{our_norm}.bias"] = state[f"{norm}.bias"].float().reshape(1, -1)
    ours[f"{_LAST_CONV[1]}.weight"] = state[f"{_LAST_CONV[0]}.conv2d.weight"].float() * (2.0 / 255.0)
    ours[f"{_LAST_CONV[1]}.bias"] = state[f"{_LAST_CONV[0]}.conv2d.bias"].float() * (2.0 / 255.0) - 1.0
    return ours


@dataclass(frozen=True)
class ImportReport:
    output: Path
    width: float


def import_fast_neural_style(
    source: str | os.PathLike[str], output: str | os.PathLike[str], *, overwrite: bool = True
) -> ImportReport:
    """Convert their state dict at `source` into a vidstyle model at `output`, with a card that
    records its origin."""
    from .atomic import check_output_path

    source = Path(source)
    check_output_path(output, inputs=[source], overwrite=overwrite)
    state = read_state_dict(source)
    width = check_layout(state, source.name)
    net = TransformerNet(width=width, head="clamp")
    net.load_state_dict(convert_state(state))
    card = ModelCard(
        width=width,
        head="clamp",
        style_image="",
        styles=({"name": source.stem, "image": "", "sha256": ""},),
        trained_on=f"{SOURCE_FORMAT}, imported from {source.name}",
        segments=(
            {
                "steps": 0,  # trained elsewhere, for a number of steps their file does not record
                "recipe": "imported",
                "imported_from": f"{source.name} (sha256 {file_sha256(source)})",
                "source_format": SOURCE_FORMAT,
            },
        ),
    )
    save_model(output, net, card)
    return ImportReport(Path(output), width)
