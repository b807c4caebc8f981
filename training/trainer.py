"""The fast-style training loop: Adam on TransformerNet against a fixed VGG loss net."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from vidstyle.atomic import atomic_output, check_output_path
from vidstyle.context import RunContext
from vidstyle.errors import VidstyleError
from vidstyle.images import read_image, write_image
from vidstyle.modelfile import ModelCard, save_model
from vidstyle.net import TransformerNet

from .data import CropDataset, RangeSampler, find_images, readable_images
from .losses import content_loss, gram_matrix, style_loss, tv_loss
from .stability import stability_loss
from .losslog import LossLog
from .precision import training_context
from .vgg import LossNet, build_loss_net
from .weights import InitialTerms, Weight, parse_weight, resolve_weights


@dataclass
class TrainConfig:
    data: str
    style: str
    output: str
    steps: int = 2000
    image_size: int = 256
    batch_size: int = 4
    lr: float = 1e-3
    content_weight: float = 1.0
    style_weight: Weight = "10x"  # "Nx": the term starts at N times the content term (see weights.py)
    tv_weight: Weight = "1e-3x"
    stability_weight: float = 0.0
    style_size: int | None = 512
    content_layers: tuple[str, ...] = ()  # empty: the loss net's own defaults
    style_layers: tuple[str, ...] = ()
    loss_net: str = "auto"
    vgg_weights: str | None = None
    width: float = 1.0
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    checkpoint_every: int = 500
    preview_every: int = 500
    run_dir: str | None = None
    resume: str | None = None
    workers: int = 0
    half_weights: bool = False
    progress: bool = True


@dataclass
class TrainResult:
    output: Path
    history: list[dict[str, float]]
    skipped_files: int
    run_dir: Path


def run_dir_for(config: TrainConfig) -> Path:
    if config.run_dir:
        return Path(config.run_dir)
    out = Path(config.output)
    return out.with_name(out.stem + "-run")


def style_targets(config: TrainConfig, vgg: torch.nn.Module, layers: tuple[str, ...], device: torch.device) -> dict[str, torch.Tensor]:
    style = read_image(config.style, max_side=config.style_size).to(device)
    with torch.no_grad():
        feats = vgg(style)
        return {name: gram_matrix(feats[name]) for name in layers}


def first_batch(dataset: CropDataset, batch_size: int, device: torch.device, channels_last: bool) -> torch.Tensor:
    batch = torch.stack([dataset[i] for i in range(batch_size)]).to(device)
    return batch.contiguous(memory_format=torch.channels_last) if channels_last else batch


def initial_terms(net: torch.nn.Module, vgg: torch.nn.Module, loss_net: LossNet, targets: dict[str, torch.Tensor], x: torch.Tensor, ctx: RunContext) -> InitialTerms:
    """Unweighted content, style and TV of `net` on `x`: the yardstick for "Nx" weights."""
    with torch.no_grad(), ctx.autocast():
        y = net(x)
        feats_y, feats_x = vgg(y), vgg(x)
        content = content_loss(feats_y, feats_x, loss_net.content_layers)
        style = style_loss(feats_y, targets, loss_net.style_layers)
    return InitialTerms(float(content), float(style), float(tv_loss(y.float())))


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_checkpoint(path: Path, step: int, net: torch.nn.Module, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler, config: TrainConfig, precision: str) -> None:
    state = {
        "step": step,
        "model": net.state_dict(),
        "optimizer": opt.state_dict(),
        "scaler": scaler.state_dict(),
        "precision": precision,
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "config": json.dumps(asdict(config)),
    }
    with atomic_output(path) as tmp:
        torch.save(state, tmp)


# The loss nets pool four times before their deepest style layer, which needs at least 1 pixel.
MIN_IMAGE_SIZE = 16


def check_config(config: TrainConfig) -> None:
    """Numbers that would fail deep inside training (or train on NaN), refused up front."""
    for name in ("image_size", "style_size"):
        if getattr(config, name) < MIN_IMAGE_SIZE:
            raise VidstyleError(f"{name.replace('_', ' ')} must be at least {MIN_IMAGE_SIZE} pixels (the loss network pools 4 times), got {getattr(config, name)}")
    if not (math.isfinite(config.lr) and config.lr > 0):
        raise VidstyleError(f"learning rate must be a positive finite number, got {config.lr}")
    if not (math.isfinite(config.width) and config.width > 0):
        raise VidstyleError(f"width must be a positive number, got {config.width}")


def check_resumable(ckpt: dict, config: TrainConfig) -> None:  # type: ignore[type-arg]
    """A checkpoint continues only the net it was made with: another width changes every weight's shape."""
    saved = json.loads(ckpt.get("config") or "{}").get("width")
    if saved is not None and float(saved) != float(config.width):
        raise VidstyleError(f"the checkpoint was trained at width {saved}, not {config.width}; resume with width {saved}")


def load_checkpoint(path: str) -> dict:  # type: ignore[type-arg]
    file = Path(path)
    if not file.is_file():
        raise VidstyleError(f"checkpoint not found: {file}")
    try:
        return torch.load(file, map_location="cpu", weights_only=True)  # type: ignore[no-any-return]
    except Exception as exc:
        raise VidstyleError(f"cannot read checkpoint {file}: {type(exc).__name__}") from None


def train(config: TrainConfig) -> TrainResult:
    """Train a style model and write it to config.output; checkpoints and previews go to the run dir."""
    check_output_path(config.output)
    check_config(config)
    parse_weight(str(config.style_weight)), parse_weight(str(config.tv_weight))
    read_image(config.style, max_side=64)  # fail before any slow setup when the style is unreadable
    files, skipped = readable_images(find_images(config.data))
    if not files:
        raise VidstyleError(f"none of the {skipped} files under {config.data} is a readable image")
    ckpt = load_checkpoint(config.resume) if config.resume else None
    if ckpt is not None:
        check_resumable(ckpt, config)
    # A resumed auto run keeps the precision it started with: a fresh timing probe could flip it.
    precision = str(ckpt["precision"]) if ckpt is not None and config.precision == "auto" and "precision" in ckpt else config.precision
    ctx, use_scaler = training_context(config.device, precision)
    run_dir = run_dir_for(config)
    run_dir.mkdir(parents=True, exist_ok=True)

    loss_net = build_loss_net(config.loss_net, weights_path=config.vgg_weights, content_layers=config.content_layers, style_layers=config.style_layers)
    content_layers, style_layers = loss_net.content_layers, loss_net.style_layers
    vgg = loss_net.features.to(ctx.device)
    torch.manual_seed(config.seed)
    net = TransformerNet(width=config.width).to(ctx.device)
    # channels_last lets cuDNN and oneDNN's bf16 kernels skip a layout change per conv.
    channels_last = ctx.is_cuda or ctx.precision == "bf16"
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        vgg = vgg.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=use_scaler)
    targets = style_targets(config, vgg, style_layers, ctx.device)
    dataset = CropDataset(files, config.image_size, config.seed)
    # Before any checkpoint is loaded: the untrained net and the first batch are fixed by the
    # seed, so a resumed run resolves relative weights to the same numbers.
    initial = initial_terms(net, vgg, loss_net, targets, first_batch(dataset, config.batch_size, ctx.device, channels_last), ctx)
    style_weight, tv_weight = resolve_weights(config.style_weight, config.tv_weight, initial)

    start = 0
    if ckpt is not None:
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
        torch.set_rng_state(ckpt["rng_cpu"])
        if ckpt["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(ckpt["rng_cuda"])
        start = int(ckpt["step"])
    if start >= config.steps:
        raise VidstyleError(f"checkpoint is already at step {start}; ask for more than {start} steps")

    loader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=RangeSampler(start * config.batch_size, config.steps * config.batch_size),
        num_workers=config.workers,
        pin_memory=ctx.is_cuda,
        persistent_workers=config.workers > 0,
    )
    preview = read_image(files[0], max_side=256).to(ctx.device)
    history: list[dict[str, float]] = []
    log_csv = LossLog(run_dir / "losses.csv")
    bar = tqdm(total=config.steps, initial=start, disable=not config.progress, unit="step", dynamic_ncols=True)
    tic = time.perf_counter()
    net.train()
    for step, batch in enumerate(loader, start=start + 1):
        step_tic = time.perf_counter()
        x = batch.to(ctx.device, non_blocking=True)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with ctx.autocast():
            y = net(x)
            feats_y = vgg(y)
            with torch.no_grad():
                feats_x = vgg(x)
        terms = {
            "content": config.content_weight * content_loss(feats_y, feats_x, content_layers),
            "style": style_weight * style_loss(feats_y, targets, style_layers),
            "tv": tv_weight * tv_loss(y.float()),
        }
        if config.stability_weight > 0:
            terms["stability"] = config.stability_weight * stability_loss(net, x, y, seed=config.seed * 100_003 + step, autocast=ctx.autocast)
        total = torch.stack(list(terms.values())).sum()
        opt.zero_grad(set_to_none=True)
        scaler.scale(total).backward()
        scaler.step(opt)
        scaler.update()

        record = {name: float(value.detach()) for name, value in terms.items()}
        record["total"] = float(total.detach())
        record["step"] = step
        record["seconds"] = time.perf_counter() - step_tic
        history.append(record)
        log_csv.write(record)  # as training goes, so a killed run keeps its curve
        elapsed = time.perf_counter() - tic
        bar.set_postfix({k: f"{v:.3g}" for k, v in record.items() if k not in ("step", "seconds")} | {"img/s": f"{(step - start) * config.batch_size / elapsed:.1f}"})
        bar.update(1)
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint(run_dir / "last.pt", step, net, opt, scaler, config, ctx.precision)
        if config.preview_every and (step % config.preview_every == 0 or step == config.steps):
            with torch.no_grad():
                write_image(net(preview).float(), run_dir / f"preview-{step:06d}.jpg")
    bar.close()
    log_csv.close()

    tail = history[-min(20, len(history)) :]
    final = {k: sum(r[k] for r in tail) / len(tail) for k in tail[0] if k not in ("step", "seconds")} if tail else {}
    if history:
        final["first_total"] = history[0]["total"]
    card = ModelCard(
        width=config.width,
        style_image=Path(config.style).name,
        style_image_sha256=sha256_file(config.style),
        content_weight=config.content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        stability_weight=config.stability_weight,
        content_layers=content_layers,
        style_layers=style_layers,
        loss_net=loss_net.info.name,
        loss_net_weights=loss_net.info.source,
        loss_net_sha256=loss_net.info.weights_sha256,
        steps=config.steps,
        image_size=config.image_size,
        batch_size=config.batch_size,
        trained_on=_device_description(ctx),
        final_losses=final,
    )
    save_model(config.output, net.to(memory_format=torch.contiguous_format).cpu(), card, half=config.half_weights)
    return TrainResult(output=Path(config.output), history=history, skipped_files=skipped + dataset.failures, run_dir=run_dir)


def _device_description(ctx: RunContext) -> str:
    if ctx.is_cuda:
        return f"{torch.cuda.get_device_name(ctx.device)} ({ctx.precision})"
    import platform

    return f"CPU {platform.processor() or platform.machine()} x{torch.get_num_threads()} threads ({ctx.precision})"


