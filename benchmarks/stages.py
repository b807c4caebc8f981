"""One timer per pipeline stage, plus the baselines. Each returns a Timing.

Timing discipline (timing.py): warm up first; on CUDA synchronise before reading the clock;
report the median of repeats; rotate among several distinct inputs; never time zeros.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import cast

import av
import numpy as np
import torch
from av.video.stream import VideoStream

from vidstyle.backends import open_backend
from vidstyle.colour import float_to_uint8, resize, uint8_to_float, yuv420_to_rgb
from vidstyle.context import RunContext
from vidstyle.media.decode import read_batches
from vidstyle.modelfile import StyleModel
from vidstyle.net import macs_per_pixel

from .timing import Timing, measure


def decode_frames(path: str | Path, limit: int) -> list[np.ndarray]:
    """The first `limit` frames as uint8 RGB, through the same decode loop `stylize` uses."""
    return [batch.data[0].numpy() for batch in itertools.islice(read_batches(path, 1), limit)]


def scaled_frames(frames: list[np.ndarray], height: int, width: int) -> list[torch.Tensor]:
    """Real picture content at the benchmark size (uint8 HWC), so nothing times zeros."""
    out = []
    for pixels in frames:
        x = uint8_to_float(torch.from_numpy(pixels)[None])
        out.append(float_to_uint8(resize(x, (height, width)))[0])
    return out


def decode_only(path: str | Path, ctx: RunContext, *, repeats: int, decoder: str | None = None) -> Timing:
    """Decode to RGB batches as `stylize` does; `decoder` names another decoder (h264_cuvid for NVDEC)."""

    def call(_: int) -> int:
        return sum(len(batch) for batch in read_batches(path, 4, decoder=decoder))

    return measure(
        "decode",
        call,
        ctx,
        repeats=repeats,
        warmup=1,
        config={"decoder": decoder or "default", "input": Path(path).name},
    )


def upload_only(frames: list[torch.Tensor], ctx: RunContext, *, batch: int, repeats: int) -> Timing:
    batches = [torch.stack([frames[(i * batch + j) % len(frames)] for j in range(batch)]) for i in range(4)]
    if ctx.is_cuda:
        batches = [b.pin_memory() for b in batches]

    def call(i: int) -> int:
        host = batches[i % len(batches)]
        uint8_to_float(host.to(ctx.device, non_blocking=True))
        return batch

    return measure(
        "upload+convert", call, ctx, repeats=repeats, config={"batch": batch, "colour_convert": "host (rgb24)"}
    )


def upload_yuv_only(frames: list[torch.Tensor], ctx: RunContext, *, batch: int, repeats: int) -> Timing:
    """`stylize --colour-convert device`: I420 planes uploaded (half of RGB's bytes), converted there."""
    import cv2

    height, width = (frames[0].shape[0] // 2) * 2, (frames[0].shape[1] // 2) * 2
    planes = [
        torch.from_numpy(cv2.cvtColor(np.ascontiguousarray(f.numpy()[:height, :width]), cv2.COLOR_RGB2YUV_I420))
        for f in frames
    ]
    batches = [torch.stack([planes[(i * batch + j) % len(planes)] for j in range(batch)]) for i in range(4)]
    if ctx.is_cuda:
        batches = [b.pin_memory() for b in batches]

    def call(i: int) -> int:
        yuv420_to_rgb(batches[i % len(batches)].to(ctx.device, non_blocking=True))
        return batch

    return measure(
        "upload+convert", call, ctx, repeats=repeats, config={"batch": batch, "colour_convert": "device (yuv420p)"}
    )


def download_only(frames: list[torch.Tensor], ctx: RunContext, *, batch: int, repeats: int) -> Timing:
    images = [
        uint8_to_float(torch.stack([frames[(i * batch + j) % len(frames)] for j in range(batch)]).to(ctx.device))
        for i in range(4)
    ]

    def call(i: int) -> int:
        float_to_uint8(images[i % len(images)]).cpu()
        return batch

    return measure("convert+download", call, ctx, repeats=repeats, config={"batch": batch})


def model_only(
    model: StyleModel,
    frames: list[torch.Tensor],
    ctx: RunContext,
    *,
    backend: str,
    batch: int,
    repeats: int,
    exported: str | None = None,
    compile: bool = False,
) -> Timing:
    inputs = [
        uint8_to_float(
            torch.stack([frames[(i * batch + j) % len(frames)] for j in range(batch)]).to(ctx.device)
        ).contiguous()
        for i in range(4)
    ]
    height, width = inputs[0].shape[-2:]
    with open_backend(exported or model, ctx, backend=backend, compile=compile) as runner:
        runner.prepare((batch, 3, int(height), int(width)))

        def call(i: int) -> int:
            runner.run(inputs[i % len(inputs)])
            return batch

        timing = measure(
            "model",
            call,
            ctx,
            repeats=repeats,
            warmup=2,
            config={"backend": backend, "precision": ctx.precision, "batch": batch, "height": height, "width": width},
        )
    macs = macs_per_pixel(model.net) * height * width
    timing.config["tflops"] = 2 * macs * timing.fps / 1e12
    return timing


def encode_frames(
    frames: list[torch.Tensor],
    path: str,
    *,
    preset: str,
    crf: int = 18,
    codec: str = "libx264",
    format: str | None = None,
) -> int:
    """x264 at 4:2:0 (sizes cropped to even); used for the encode stage and for benchmark clips."""
    height, width = frames[0].shape[0] // 2 * 2, frames[0].shape[1] // 2 * 2
    with av.open(path, "w", format=format) as out:
        stream = cast(VideoStream, out.add_stream(codec, rate=30))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"preset": preset, "crf": str(crf)}
        for i, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels.numpy()[:height, :width], format="rgb24").reformat(
                format="yuv420p"
            )
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return len(frames)


def encode_only(
    frames: list[torch.Tensor], ctx: RunContext, *, preset: str, repeats: int, codec: str = "libx264"
) -> Timing:
    height, width = frames[0].shape[:2]

    def call(_: int) -> int:
        return encode_frames(frames, "/dev/null", preset=preset, codec=codec, format="mp4")

    return measure(
        "encode",
        call,
        ctx,
        repeats=repeats,
        warmup=0,
        config={"codec": codec, "preset": preset, "height": height, "width": width},
    )


def naive_baseline(model: StyleModel, frames: list[torch.Tensor], ctx: RunContext, *, repeats: int) -> Timing:
    """What typical scripts do: eager fp32, batch 1, a host round trip per frame."""
    net = model.net.to(ctx.device).float().eval()

    def call(i: int) -> int:
        pixels = frames[i % len(frames)].numpy()
        x = torch.from_numpy(pixels).permute(2, 0, 1).float().div(255.0)[None].to(ctx.device)
        with torch.no_grad():
            y = net(x)
        (y[0].clamp(0, 1) * 255).byte().permute(1, 2, 0).cpu().numpy()
        return 1

    timing = measure(
        "naive-baseline",
        call,
        ctx,
        repeats=repeats,
        warmup=1,
        config={
            "backend": "torch-eager",
            "precision": "fp32",
            "batch": 1,
            "height": frames[0].shape[0],
            "width": frames[0].shape[1],
        },
    )
    model.net.cpu()
    return timing
