"""The net a run starts from, and the styles it learns: from scratch, a model, or a teacher."""

from __future__ import annotations

import platform

import torch

from vidstyle.context import RunContext
from vidstyle.errors import VidstyleError
from vidstyle.modelfile import ModelCard, StyleModel
from vidstyle.net import TransformerNet

from .config import TrainConfig
from .data import CropDataset
from .styles import StyleTargets, extend_styles


def resolve_width(config: TrainConfig, init: StyleModel | None) -> float:
    if init is None:
        return config.width or 1.0
    if config.width is not None and config.width != init.net.width:
        raise VidstyleError(
            f"--init-from {config.init_from} is a width-{init.net.width} net; drop --width or give {init.net.width}"
        )
    return init.net.width


def start_net(
    config: TrainConfig, style_count: int, base: StyleModel | None, init: StyleModel | None
) -> tuple[TransformerNet, int, list[str]]:
    """(net, its first row for this run's styles, style names it already holds).

    --resume-from adds rows for new styles to `base`; --init-from starts from `init`'s weights,
    a single-style model's norm row copied to every style (its convs warm-start a multi-style net)."""
    if base is not None:
        return extend_styles(base.net, style_count), base.net.style_count, base.card.style_names
    if init is None:
        net = TransformerNet(
            width=config.width or 1.0,
            residual_blocks=config.residual_blocks,
            style_count=style_count,
            separable=config.separable,
            head=config.head or "tanh",
        )
        return net, 0, []
    if config.head is not None:
        init.net.head = config.head  # the heads agree around z = 0 (see net.py): the convs carry over
    if init.net.style_count == style_count:
        return init.net.requires_grad_(True), 0, []  # a loaded model comes frozen, for inference
    if init.net.style_count == 1:
        return extend_styles(init.net, style_count - 1), 0, []
    raise VidstyleError(
        f"--init-from {config.init_from} holds {init.net.style_count} styles; "
        "give as many --style images, or start from a single-style model"
    )


def teacher_styles(teacher: StyleModel, style_paths: list[str]) -> StyleTargets:
    """A teacher's styles, by its names; Gram targets come later only if style images were given."""
    if style_paths and len(style_paths) != teacher.net.style_count:
        raise VidstyleError(
            f"the teacher holds {teacher.net.style_count} styles; "
            f"give its {teacher.net.style_count} style images in its order, or none"
        )
    return StyleTargets(teacher.card.style_names, [], [{} for _ in teacher.card.style_names])


def teacher_card_styles(card: ModelCard) -> tuple[dict[str, str], ...]:
    return tuple(card.styles) or (
        {"name": card.style_names[0], "image": card.style_image, "sha256": card.style_image_sha256},
    )


def first_batch(dataset: CropDataset, batch_size: int, device: torch.device, channels_last: bool) -> torch.Tensor:
    batch = torch.stack([dataset[i][0] for i in range(batch_size)]).to(device)
    return batch.contiguous(memory_format=torch.channels_last) if channels_last else batch


def device_description(ctx: RunContext) -> str:
    if ctx.is_cuda:
        return f"{torch.cuda.get_device_name(ctx.device)} ({ctx.precision})"
    return f"CPU {platform.processor() or platform.machine()} x{torch.get_num_threads()} threads ({ctx.precision})"
