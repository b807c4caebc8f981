"""Training checkpoints: weights, optimizer, scaler, RNG state and precision, written atomically."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from vidstyle.atomic import atomic_output, check_not_an_input
from vidstyle.errors import VidstyleError
from vidstyle.net import upgrade_state

if TYPE_CHECKING:
    from vidstyle.net import TransformerNet

    from .config import TrainConfig


# what a run writes into its folder
_RUN_FILE = re.compile(r"last\.pt|losses\.csv|preview-\d{6}\.jpg|model-\d{6}\.safetensors")


def run_files(run_dir: Path) -> list[Path]:
    """The files a training run wrote into `run_dir`, and nothing else that may be there."""
    return (
        sorted(p for p in run_dir.glob("*") if _RUN_FILE.fullmatch(p.name) and p.is_file()) if run_dir.is_dir() else []
    )


def check_run_dir(run_dir: Path, *, resume: str | None, overwrite: bool, inputs: list[str]) -> list[Path]:
    """A run folder can hold hours of work, so a new run starts in one that holds another run
    only when it resumes that run's checkpoint, or with overwrite (-y). Returns the old run's
    files that the new run replaces, to be removed once every other check has passed, so that
    its previews do not mix with the new ones; never one of `inputs`."""
    held = run_files(run_dir)
    if not held or (resume is not None and Path(resume).resolve().parent == run_dir.resolve()):
        return []
    if not overwrite:
        if (run_dir / "last.pt").exists():
            raise VidstyleError(
                f"{run_dir} already holds a training run (last.pt); "
                f"continue it with --resume {run_dir / 'last.pt'}, or pass -y to start over"
            )
        raise VidstyleError(
            f"{run_dir} holds an earlier run's {held[0].name} but no checkpoint to resume; pass -y to start over"
        )
    for path in held:
        check_not_an_input(path, inputs)
    return held


def save_checkpoint(
    path: Path,
    step: int,
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    config: TrainConfig,
    precision: str,
    *,
    earlier: list[dict[str, Any]],
) -> None:
    """`earlier`: the segments the run's starting model already held, which a resumed run cannot
    read back from its --init-from file (it may be gone, and the command line no longer names it)."""
    state = {
        "step": step,
        "model": net.state_dict(),
        "optimizer": opt.state_dict(),
        "scaler": scaler.state_dict(),
        "precision": precision,
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "config": json.dumps(asdict(config)),
        "earlier_segments": json.dumps(earlier),
    }
    try:
        with atomic_output(path) as tmp:
            torch.save(state, tmp)
    except RuntimeError as exc:  # torch's zip writer reports a full disk as a RuntimeError, not an OSError
        raise VidstyleError(
            f"cannot write the checkpoint {path} (disk full?): {str(exc).splitlines()[0][:200]}"
        ) from None


def load_checkpoint(path: str) -> dict:  # type: ignore[type-arg]
    file = Path(path)
    if not file.is_file():
        raise VidstyleError(f"checkpoint not found: {file}")
    try:
        return torch.load(file, map_location="cpu", weights_only=True)  # type: ignore[no-any-return]
    except Exception as exc:
        raise VidstyleError(f"cannot read checkpoint {file}: {type(exc).__name__}") from None


def restore_checkpoint(
    ckpt: dict,  # type: ignore[type-arg]
    net: TransformerNet,
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
) -> int:
    """Load weights, optimizer, scaler and RNG; returns the step the checkpoint reached.

    Checkpoints from before multi-style hold [C] norm rows and Adam moments; both are
    reshaped to today's [N, C], and the moments of conv biases the net no longer has are
    dropped, so an old long run can still be finished.
    """
    try:
        net.load_state_dict(upgrade_state(ckpt["model"], net))
    except RuntimeError as exc:  # shapes that differ: another style count or architecture
        raise VidstyleError(
            "the checkpoint does not fit this net (trained with other styles?): "
            f"{str(exc).splitlines()[1].strip()[:200] if len(str(exc).splitlines()) > 1 else str(exc)[:200]}"
        ) from None
    asked_lrs = [group["lr"] for group in opt.param_groups]
    opt.load_state_dict(
        _moments_by_name(ckpt["optimizer"], list(ckpt["model"]), [name for name, _ in net.named_parameters()])
    )
    # The saved state holds the lr the run started with; `opt` was built with the --lr given now,
    # and a resumed run takes its other flags from this invocation too (stability weight, steps).
    for group, lr in zip(opt.param_groups, asked_lrs):
        group["lr"] = lr
    for param, state in opt.state.items():
        for key, value in list(state.items()):
            if (
                isinstance(value, torch.Tensor)
                and value.dim() > 0
                and value.shape != param.shape
                and value.numel() == param.numel()
            ):
                state[key] = value.reshape(param.shape)
    scaler.load_state_dict(ckpt["scaler"])
    torch.set_rng_state(ckpt["rng_cpu"])
    if ckpt["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ckpt["rng_cuda"])
    return int(ckpt["step"])


def _moments_by_name(saved: dict, old_names: list[str], new_names: list[str]) -> dict:  # type: ignore[type-arg]
    """An optimizer state over every parameter of an older net, kept for the parameters that remain.

    The state indexes parameters by position in net.parameters(), which for this net (no buffers)
    is the order of its state dict, so the saved model's keys name each position.
    """
    groups = saved["param_groups"]
    if old_names == new_names or len(groups) != 1 or len(groups[0]["params"]) != len(old_names):
        return saved  # the same net, or an optimizer over part of it (a fine-tune's norm rows)
    position = {name: i for i, name in enumerate(old_names)}
    old = [groups[0]["params"][position[name]] for name in new_names]
    state = {new: saved["state"][index] for new, index in enumerate(old) if index in saved["state"]}
    return {"state": state, "param_groups": [dict(groups[0], params=list(range(len(new_names))))]}


def saved_options(path: str, names: tuple[str, ...]) -> dict[str, Any]:
    """The named TrainConfig values the checkpoint's run was started with (JSON's lists as tuples):
    what a resumed run keeps, whatever today's recipes hold, unless it is told otherwise."""
    saved = json.loads(load_checkpoint(path).get("config") or "{}")
    return {name: tuple(value) if isinstance(value, list) else value for name, value in saved.items() if name in names}


def saved_segments(ckpt: dict) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """The earlier segments a checkpoint's run started from (none in checkpoints from before they were kept)."""
    return list(json.loads(ckpt.get("earlier_segments") or "[]"))


def check_resumable(ckpt: dict, config: TrainConfig) -> None:  # type: ignore[type-arg]
    """A checkpoint continues only the net it was made with: another width changes every weight's shape."""
    saved = json.loads(ckpt.get("config") or "{}").get("width")
    if saved is not None and config.width is not None and float(saved) != float(config.width):
        raise VidstyleError(
            f"the checkpoint was trained at width {saved}, not {config.width}; resume with width {saved}"
        )
