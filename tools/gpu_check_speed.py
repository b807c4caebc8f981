"""gpu_check's speed checks on torch alone: the staging's overlap on and off, and 1080p fp16
model-only fps against the 600 fps goal on an H100."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from gpu_check_common import Fail, frames, ms_per_batch, needs_cuda, the_net
from vidstyle.context import resolve_context


def check_staging_overlap() -> dict[str, Any]:
    """FrameStylizer.stream with the one-batch-later collection on and off: the same frames
    out, and their fps (on CUDA: the copy streams overlapping the net)."""
    from vidstyle.backends.torch_backend import TorchBackend
    from vidstyle.stylizer import FrameStylizer

    cuda = torch.cuda.is_available()
    ctx = resolve_context("cuda" if cuda else "cpu", "fp16" if cuda else "fp32")
    height, width, count = (1080, 1920, 24) if cuda else (36, 64, 3)
    batches = [frames(4, height, width, seed=i) for i in range(count)]
    results: dict[str, Any] = {}
    with TorchBackend(the_net(), ctx) as backend:
        for overlap in (True, False, True, False):
            stylizer = FrameStylizer(backend, ctx, overlap=overlap)
            list(stylizer.stream(batches[:2], lambda b: (b, "rgb24", None)))  # warm-up
            started = time.perf_counter()
            out = [y for _, y in stylizer.stream(batches, lambda b: (b, "rgb24", None))]
            fps = 4 * count / (time.perf_counter() - started)
            key = "on" if overlap else "off"
            results.setdefault(f"fps_overlap_{key}", []).append(fps)
            results[f"frames_{key}"] = out
    if any(not torch.equal(a, b) for a, b in zip(results.pop("frames_on"), results.pop("frames_off"))):
        raise Fail("the overlapped stream gave other frames than the serial one")
    on, off = max(results["fps_overlap_on"]), max(results["fps_overlap_off"])
    results |= {"size": f"{width}x{height}", "precision": ctx.precision, "speedup": on / off}
    if cuda and on <= off:
        raise Fail(f"overlap on {on:.0f} fps is not faster than off {off:.0f} fps")
    return results


def check_model_fps_1080p() -> dict[str, Any]:
    needs_cuda()
    from vidstyle.backends.torch_backend import TorchBackend

    ctx = resolve_context("cuda", "fp16")
    images = frames(8, 1080, 1920).permute(0, 3, 1, 2).float().div(255).cuda()
    rows = {}
    for compiled in (False, True):
        with TorchBackend(the_net(), ctx, compile=compiled) as backend:
            backend.prepare(tuple(images.shape))  # type: ignore[arg-type]
            rows["compiled" if compiled else "eager"] = 8 * 1000 / ms_per_batch(backend, images)
    best = max(rows.values())
    name = torch.cuda.get_device_name()
    if "H100" in name and best < 600:
        raise Fail(f"{best:.0f} fps at 1080p fp16, below the 600 fps goal on an H100")
    return {"fps": rows, "batch": 8, "goal_fps_on_h100": 600, "device": name}


SPEED_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "staging_overlap": check_staging_overlap,
    "model_fps_1080p_fp16": check_model_fps_1080p,
}
