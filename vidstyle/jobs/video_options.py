"""VideoOptions: how a video is stylized, checked once when it is made.

stylize_video takes one, and `vidstyle batch` hands the same one to every worker. Each part
checks its own values as it is built; what depends on the output file (its container's
codecs) is checked by Encoding.for_output, once per output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import MediaError, VidstyleError
from ..media.options import Trim
from ..stylemix import StyleChoice

if TYPE_CHECKING:
    from ..backends import OnnxExport, RunnableModel
    from ..modelfile import StyleModel


@dataclass(frozen=True, kw_only=True)
class Runtime:
    """Where and how the net runs: `backend` None lets the model file pick (backends.runnable_model
    checks the name with the model); `colour_convert`
    "device" converts YUV where the net runs (half the bytes to upload); `onnx_export`
    (vidstyle.export.onnx.export_onnx) lets a .safetensors model run on onnxruntime."""

    backend: str | None = None
    device: str = "auto"
    precision: str = "fp32"
    batch: int = 4
    max_side: int | None = None  # None: the source's own size
    compile: bool = False
    colour_convert: Literal["host", "device"] = "host"
    onnx_export: OnnxExport | None = None

    def __post_init__(self) -> None:
        if self.batch < 1:
            raise MediaError(f"batch must be at least 1, got {self.batch}")
        if self.max_side is not None and self.max_side < 1:
            raise MediaError(f"max side must be at least 1, got {self.max_side}")
        if self.colour_convert not in ("host", "device"):
            raise VidstyleError(f"colour conversion is 'host' or 'device', got {self.colour_convert!r}")


@dataclass(frozen=True, kw_only=True)
class Encoding:
    """The encoder settings; None: the output container's default codec and that codec's own."""

    codec: str | None = None
    crf: int | None = None
    preset: str | None = None
    pix_fmt: str | None = None
    audio: bool = True  # carry the input's audio tracks (its subtitles where the container holds them)

    def for_output(self, output: str | os.PathLike[str]) -> tuple[str, int | None, str | None]:
        """(codec, crf, preset) for a file of this name, checked with its container before any work."""
        from ..media.codecs import choose_codec, encoder_options

        codec = choose_codec(Path(output), self.codec)
        return (codec, *encoder_options(codec, self.crf, self.preset))


@dataclass(frozen=True, kw_only=True)
class VideoOptions:
    """Everything about how a video is stylized; `model` None is the bundled style.

    `temporal_blend` mixes in the flow-warped previous output with that weight where the flow
    is reliable (0: off)."""

    model: RunnableModel | StyleModel | str | os.PathLike[str] | None = None
    runtime: Runtime = field(default_factory=Runtime)
    encode: Encoding = field(default_factory=Encoding)
    trim: Trim = field(default_factory=Trim)
    choice: StyleChoice = field(default_factory=StyleChoice)
    temporal_blend: float = 0.0

    def __post_init__(self) -> None:
        if self.temporal_blend != 0.0:
            from ..temporal import check_blend

            check_blend(self.temporal_blend)
