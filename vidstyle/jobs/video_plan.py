"""plan_video: every check a video run can fail, before anything is opened or written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..atomic import check_output_path
from ..backends import RunnableModel, model_file, runnable_model
from ..context import RunContext, resolve_context
from ..errors import MediaError
from ..frames import PixelFormat
from ..media.options import EncodeOptions
from ..media.probe import VideoInfo, probe
from .video_options import VideoOptions


@dataclass(frozen=True)
class VideoPlan:
    """Everything a run needs, checked: the input is readable, the output writable, the codec
    here, the model loaded (or its exported file found) and matched to its backend."""

    input: Path
    output: Path
    info: VideoInfo
    options: VideoOptions
    model: RunnableModel
    ctx: RunContext
    encode: EncodeOptions
    pixel_format: PixelFormat
    overwrite: bool
    keep_partial: bool


def plan_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: VideoOptions,
    *,
    overwrite: bool = True,
    keep_partial: bool = False,
) -> VideoPlan:
    """Check the input, the output and the encoder first (cheap), then load the model."""
    info = probe(input)
    trim = options.trim
    if info.duration_seconds is not None and trim.start_seconds >= info.duration_seconds:
        raise MediaError(
            f"start {trim.start_seconds:g} s is past the end of {Path(input).name} ({info.duration_seconds:.1f} s long)"
        )
    check_output_path(output, inputs=[input, model_file(options.model)], overwrite=overwrite)
    codec, crf, preset = options.encode.for_output(output)
    encode = EncodeOptions(
        width=info.width,
        height=info.height,
        time_base=info.time_base,
        rate_fps=info.average_rate or Fraction(25),
        rotation_degrees=info.rotation_degrees,
        codec=codec,
        crf=crf,
        preset=preset,
        pix_fmt=options.encode.pix_fmt,
    )
    runtime = options.runtime
    # Device conversion reads I420 planes, which need even sizes; odd ones convert on the host.
    even = info.width % 2 == 0 and info.height % 2 == 0
    return VideoPlan(
        input=Path(input),
        output=Path(output),
        info=info,
        options=options,
        model=runnable_model(options.model, runtime.backend),
        ctx=resolve_context(runtime.device, runtime.precision),
        encode=encode,
        pixel_format="yuv420p" if runtime.colour_convert == "device" and even else "rgb24",
        overwrite=overwrite,
        keep_partial=keep_partial,
    )
