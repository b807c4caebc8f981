"""The fast-style training loop: Adam on TransformerNet against a fixed VGG loss net."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from vidstyle.atomic import MadeOutputs, check_output_path
from vidstyle.errors import VidstyleError
from vidstyle.images import read_image
from vidstyle.modelfile import load_model
from vidstyle.progress import progress_bar

from .card import Resolved, earlier_segments
from .checkpoint import (
    check_resumable,
    check_run_dir,
    load_checkpoint,
    restore_checkpoint,
    run_files,
    save_checkpoint,
    saved_segments,
)
from .config import TrainConfig, check_config, check_layer_weights, check_picture_side, run_dir_for
from .data import CropDataset, find_images, readable_images
from .distributed import ShardSampler, average_gradients, finish, local_batch, ranks_from_environment
from .losslog import LossLog
from .objective import Objective
from .precision import training_context
from .run_outputs import RunCard, write_final_model, write_preview, write_snapshot
from .setup import device_description, first_batch, resolve_width, start_net, teacher_card_styles, teacher_styles
from .styles import card_styles, load_targets, one_hot_weights, style_for_step, train_only_rows_from
from .vgg import build_loss_net
from .weights import parse_weight, resolve_weight, resolve_weights


@dataclass
class TrainResult:
    output: Path
    history: list[dict[str, float]]
    skipped_files: int
    run_dir: Path


def train(config: TrainConfig) -> TrainResult:
    """Train a style model and write it to config.output; checkpoints and previews go to the run dir.

    A run folder this call made goes again when the run fails or is stopped before its first
    checkpoint (there is nothing to resume); one with a checkpoint stays for --resume."""
    made = MadeOutputs()
    try:
        return _train(config, made)
    except BaseException:
        run_dir = run_dir_for(config)
        if made.folders and not (run_dir / "last.pt").exists():
            for path in run_files(run_dir):
                path.unlink(missing_ok=True)
            for folder in reversed(made.folders):
                with contextlib.suppress(OSError):  # something else was put there meanwhile
                    folder.rmdir()
        raise


def _train(config: TrainConfig, made: MadeOutputs) -> TrainResult:
    check_output_path(config.output, overwrite=config.overwrite)
    check_config(config)
    for weight in (config.style_weight, config.tv_weight, config.pixel_weight):
        parse_weight(str(weight))  # a bad weight fails before any slow setup
    style_paths = [config.style] if isinstance(config.style, str) else list(config.style)
    if not style_paths and not config.teacher:
        raise VidstyleError("give at least one style image (or a --teacher to distil)")
    for path in style_paths:  # an unreadable or tiny style fails before any slow setup
        check_picture_side(f"the style {path}", read_image(path, max_side=config.style_size))
    run_dir = run_dir_for(config)
    replaced = check_run_dir(
        run_dir,
        resume=config.resume,
        overwrite=config.overwrite,
        inputs=[
            *style_paths,
            config.resume or "",
            config.resume_from or "",
            config.init_from or "",
            config.teacher or "",
        ],
    )
    base = load_model(config.resume_from) if config.resume_from else None
    teacher = load_model(config.teacher) if config.teacher else None
    init = load_model(config.init_from) if config.init_from else None
    config = replace(config, width=resolve_width(config, init))  # checkpoints record the width really trained
    if config.threads:
        torch.set_num_threads(config.threads)
    files, skipped = readable_images(find_images(config.data))
    if not files:
        raise VidstyleError(f"none of the {skipped} files under {config.data} is a readable image")
    ckpt = load_checkpoint(config.resume) if config.resume else None
    if ckpt is not None:
        check_resumable(ckpt, config)
    # A resumed auto run keeps the precision it started with: a fresh timing probe could flip it.
    precision = (
        str(ckpt["precision"])
        if ckpt is not None and config.precision == "auto" and "precision" in ckpt
        else config.precision
    )
    cuda = config.device != "cpu" and torch.cuda.is_available()
    ranks = ranks_from_environment(cuda=cuda)
    device = f"cuda:{ranks.local_rank}" if ranks.world > 1 and cuda else config.device
    ctx, use_scaler = training_context(device, precision)
    local = local_batch(config.batch_size, ranks)
    loss_net = build_loss_net(
        config.loss_net,
        weights_path=config.vgg_weights,
        content_layers=config.content_layers,
        style_layers=config.style_layers,
    )
    content_layers, style_layers = loss_net.content_layers, loss_net.style_layers
    check_layer_weights(config.style_layer_weights, style_layers)
    vgg = loss_net.features.to(ctx.device)
    torch.manual_seed(config.seed)
    net, first_row, taken = start_net(
        config, teacher.net.style_count if teacher is not None else len(style_paths), base, init
    )
    net = net.to(ctx.device)
    # channels_last lets cuDNN and oneDNN's bf16 kernels skip a layout change per conv.
    channels_last = ctx.is_cuda or ctx.precision == "bf16"
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        vgg = vgg.to(memory_format=torch.channels_last)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    teacher_net = teacher.net.to(ctx.device).to(memory_format=layout) if teacher is not None else None
    opt = torch.optim.Adam(net.parameters() if base is None else train_only_rows_from(net, first_row), lr=config.lr)
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=use_scaler)
    if teacher is not None:
        styles = teacher_styles(teacher, style_paths)
        if style_paths:
            styles.grams = load_targets(
                style_paths, vgg, style_layers, max_side=config.style_size, device=ctx.device
            ).grams
    else:
        styles = load_targets(
            style_paths,
            vgg,
            style_layers,
            max_side=config.style_size,
            device=ctx.device,
            taken=taken,
            first_row=first_row,
        )
    objective = Objective(
        vgg,
        content_layers,
        style_layers,
        styles,
        ctx,
        teacher=teacher_net,
        teacher_texture=teacher_net is not None and not style_paths and parse_weight(str(config.style_weight)) != 0,
        content_weight=config.content_weight,
        stability_weight=config.stability_weight,
        style_balance=config.style_balance,
        style_layer_weights=config.style_layer_weights,
        seed=config.seed,
    )
    dataset = CropDataset(files, config.image_size, config.seed)
    # Before any checkpoint is loaded: the untrained net and the first batch are fixed by the
    # seed, so a resumed run resolves relative weights to the same numbers.
    initial = objective.initial(net, first_batch(dataset, config.batch_size, ctx.device, channels_last))
    # A student given no style images has a style term only as its teacher's texture.
    style_weight, tv_weight = resolve_weights(
        config.style_weight if any(styles.grams) or objective.teacher_texture else 0.0, config.tv_weight, initial
    )
    objective.style_weight, objective.tv_weight = style_weight, tv_weight
    if teacher is not None:
        objective.pixel_weight = resolve_weight(config.pixel_weight, initial.pixel, initial.content)
    info = loss_net.info
    resolved = Resolved(
        content_layers,
        style_layers,
        style_weight,
        tv_weight,
        info.name,
        info.source,
        info.weights_sha256,
        device_description(ctx),
        objective.pixel_weight,
    )
    if init is None and base is None and ckpt is not None:
        earlier = saved_segments(ckpt)  # a resumed run: its start's segments travel in the checkpoint
    else:
        earlier = earlier_segments(init.card if init is not None else base.card if base is not None else None)
    if teacher is not None:
        entries = teacher_card_styles(teacher.card)
    else:
        entries = card_styles(base.card if base is not None else None, styles)  # hashes each style image once
    run_card = RunCard(config, resolved, entries, earlier)

    start = restore_checkpoint(ckpt, net, opt, scaler) if ckpt is not None else 0
    if start >= config.steps:
        raise VidstyleError(f"checkpoint is already at step {start}; ask for more than {start} steps")
    if ranks.is_main:  # every check has passed: only now does an old run (with -y) give way
        for old in replaced:
            old.unlink(missing_ok=True)
        made.folder(run_dir)

    loader = DataLoader(
        dataset,
        batch_size=local,
        sampler=ShardSampler(start, config.steps, config.batch_size, ranks),
        num_workers=config.workers,
        pin_memory=ctx.is_cuda,
        persistent_workers=config.workers > 0,
    )
    preview = read_image(files[0], max_side=256).to(ctx.device)
    history: list[dict[str, float]] = []
    log_csv = LossLog(run_dir / "losses.csv", after_step=start) if ranks.is_main else None
    per_style = len(styles) > 1
    last_style: dict[str, float] = {}
    bar = progress_bar(
        total=config.steps,
        initial=start,
        enabled=config.progress and ranks.is_main,
        unit="step",
        desc=Path(config.output).name,
    )
    tic = time.perf_counter()
    net.train()
    late_failures = 0
    for step, (batch, failed) in enumerate(loader, start=start + 1):
        late_failures += int(failed.sum())
        step_tic = time.perf_counter()
        x = batch.to(ctx.device, non_blocking=True)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if init is not None:  # a fresh Adam on trained weights: its first steps are full size, so ramp the lr
            for group in opt.param_groups:
                group["lr"] = config.lr * min(1.0, step / max(1, config.warmup_steps))
        index = style_for_step(step, len(styles))
        weights = one_hot_weights(first_row + index, x.shape[0], net.style_count, ctx.device)
        terms = objective.terms(net, x, weights, index, step)
        total = torch.stack(list(terms.values())).sum()
        opt.zero_grad(set_to_none=True)
        scaler.scale(total).backward()
        average_gradients(net.parameters(), ranks)
        # The clamp head lets a step push pictures far outside [0, 1], where the Gram terms grow by
        # orders of magnitude and the next step's gradient can throw the net off for good; clipping
        # the norm keeps one bad batch from doing that. The norm is logged either way.
        scaler.unscale_(opt)
        grad_norm = torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_grad_norm or math.inf)
        scaler.step(opt)
        scaler.update()

        record = {name: float(value.detach()) for name, value in terms.items()}
        record["total"] = float(total.detach())
        record["grad_norm"] = float(grad_norm)
        record["step"] = step
        record["seconds"] = time.perf_counter() - step_tic
        if per_style:
            # One column per style, filled on the steps that trained it (NaN elsewhere).
            last_style[styles.names[index]] = record["style"]
            record |= {
                f"style_{name}": record["style"] if name == styles.names[index] else math.nan for name in styles.names
            }
        history.append(record)
        if log_csv is not None:
            log_csv.write(record)  # as training goes, so a killed run keeps its curve
        elapsed = time.perf_counter() - tic
        shown = {
            k: v for k, v in record.items() if k not in ("step", "seconds", "grad_norm") and not k.startswith("style_")
        } | {f"style_{k}": v for k, v in last_style.items()}
        bar.set_postfix(
            {k: f"{v:.3g}" for k, v in shown.items()} | {"img/s": f"{(step - start) * local / elapsed:.1f}"}
        )
        bar.update(1)
        if not ranks.is_main:
            continue
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint(run_dir / "last.pt", step, net, opt, scaler, config, ctx.precision, earlier=earlier)
        if config.snapshot_every and step % config.snapshot_every == 0:
            write_snapshot(run_dir / f"model-{step:06d}.safetensors", net, run_card, step, history)
        if config.preview_every and (step % config.preview_every == 0 or step == config.steps):
            write_preview(run_dir / f"preview-{step:06d}.jpg", net, preview, first_row, len(styles), ctx.device)
    bar.close()
    if log_csv is not None:
        log_csv.close()
    finish(ranks)
    if not ranks.is_main:
        return TrainResult(
            output=Path(config.output), history=history, skipped_files=skipped + late_failures, run_dir=run_dir
        )
    write_final_model(net, run_card, history, log_csv.first_total if log_csv is not None else None)
    return TrainResult(
        output=Path(config.output), history=history, skipped_files=skipped + late_failures, run_dir=run_dir
    )
