"""The one codec table: which container takes which codec, the codec a container gets when none
is named, each encoder's options, pixel formats and sizes, and the audio a container is given.

Every command that writes video asks here before any work (choose_codec), so a codec the
container cannot hold, or an encoder that cannot start on this machine, is one line instead of
a failure after the model has loaded or the frames were stylized.
"""

from __future__ import annotations

import functools
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import av.error
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from ..errors import MediaError
from ..images import IMAGE_SUFFIXES
from .probe import av_error_line

# suffix -> FFmpeg muxer name
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
FASTSTART_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
# The video codec a container gets when none is named: what its players expect.
DEFAULT_CODECS = {"webm": "libvpx-vp9"}
DEFAULT_CODEC = "libx264"
SUGGESTED_CODECS = ("libx264", "libx265", "libx264rgb", "ffv1", "libvpx-vp9", "libsvtav1", "mpeg4")
# Video a container holds for common players, by FFmpeg's codec (not encoder) name; absent: what
# FFmpeg's muxer takes. FFmpeg's own list is wider than what players read.
VIDEO_CODECS = {
    "mp4": frozenset({"h264", "hevc", "vp9", "av1", "mpeg4"}),
    "webm": frozenset({"vp8", "vp9", "av1"}),
    "mov": frozenset({"h264", "hevc", "mpeg4", "prores", "mjpeg", "png", "qtrle"}),
}
# Encoders that store odd sizes in any pixel format (chroma planes rounded up); the others get a
# 4:2:0 or 4:2:2 frame padded to even, which x264, x265 and NVENC need.
ODD_SIZE_CODECS = frozenset({"ffv1", "libvpx-vp9", "libvpx", "rawvideo", "libsvtav1", "libaom-av1", "mpeg4"})

X26X_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
# encoder -> (crf range, its default crf, the presets it takes, its default preset)
ENCODER_OPTIONS: dict[str, tuple[range, int, tuple[str, ...], str | None]] = {
    "libx264": (range(0, 52), 18, X26X_PRESETS, "medium"),
    "libx264rgb": (range(0, 52), 18, X26X_PRESETS, "medium"),
    "libx265": (range(0, 52), 20, X26X_PRESETS, "medium"),
    "libvpx-vp9": (range(0, 64), 31, (), None),
    "libaom-av1": (range(0, 64), 30, (), None),
    "libsvtav1": (range(1, 64), 35, tuple(str(n) for n in range(14)), "8"),
}
# What an encoder is given for a live source, where it must keep up with the camera: VP9's
# defaults encode 480x270 at about 3 fps on two cores, its realtime settings at over 50.
REALTIME_SETTINGS = {
    "libx264": {"preset": "veryfast"},
    "libx264rgb": {"preset": "veryfast"},
    "libx265": {"preset": "veryfast"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libsvtav1": {"preset": "12"},
}

# Audio copied as it is; any other is re-encoded (AUDIO_ENCODERS). PCM in MP4 is written by
# FFmpeg but rejected by most players and some muxer builds, so it is re-encoded.
AUDIO_COPY_CODECS = {
    "mp4": frozenset({"aac", "mp3", "opus", "alac", "ac3", "eac3", "flac"}),
    "webm": frozenset({"opus", "vorbis"}),
}
AUDIO_ENCODERS = {"webm": "libopus"}
DEFAULT_AUDIO_ENCODER = "aac"
AUDIO_RATE = 48000  # what an encoder that cannot take the input's rate is given (Opus: only 48 kHz and fractions)
# The standard layout for a channel count: what a layout an encoder refuses is stored as, as ffmpeg does.
STANDARD_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def container_for(path: str | Path) -> str:
    """The muxer for an output name, or one line saying what to write instead."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        raise MediaError(
            f"{Path(path).name} is an image name; `vidstyle image` stylizes images, and a video needs .mp4, .mkv, "
            ".mov or .webm"
        )
    if suffix == ".gif":
        raise MediaError(
            f"GIF output is not supported: write {Path(path).with_suffix('.mp4').name} or .webm "
            "(ffmpeg can make a GIF of it)"
        )
    if suffix not in CONTAINERS:
        raise MediaError(
            f"unknown video suffix {suffix or '(none)'!r} for {Path(path).name}; use .mp4, .mkv, .mov or .webm"
        )
    return CONTAINERS[suffix]


def choose_codec(path: str | Path, codec: str | None) -> str:
    """The encoder for `path`, checked with its container before any work: the one named, or the
    container's default. Refused in one line: an encoder this FFmpeg lacks, one the container
    cannot hold (by the players' table, then by FFmpeg's muxer), one that cannot start here."""
    container = container_for(path)
    chosen = codec or DEFAULT_CODECS.get(container, DEFAULT_CODEC)
    name = check_encoder(chosen)
    allowed = VIDEO_CODECS.get(container)
    suffix = Path(path).suffix
    if (allowed is not None and name not in allowed) or name not in _muxer_codecs(container):
        default = DEFAULT_CODECS.get(container, DEFAULT_CODEC)
        instead = f"use {default} (the default for {suffix})" + (
            " or write .mkv" if name in _muxer_codecs("matroska") else ""
        )
        raise MediaError(f"a {suffix} file cannot hold {chosen} video; {instead}")
    check_encoder_starts(chosen)
    return chosen


def check_encoder(codec: str) -> str:
    """FFmpeg's codec name for an encoder that exists here (vp9 for libvpx-vp9), or one line."""
    try:
        found = av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError, av.codec.codec.UnknownCodecError):  # type: ignore[attr-defined]
        found = None
    if found is None or found.type != "video":
        available = [name for name in SUGGESTED_CODECS if name in av.codecs_available]
        raise MediaError(
            f"video codec {codec!r} is not available in this FFmpeg build; available: {', '.join(available)}"
        )
    return str(found.canonical_name)


@functools.cache
def _muxer_codecs(container: str) -> frozenset[str]:
    """The codecs FFmpeg's muxer takes, asked of a muxer writing to memory: nothing is written."""
    with av.open(io.BytesIO(), mode="w", format=container) as probe:
        return frozenset(probe.supported_codecs)


# AV_CODEC_CAP_HARDWARE and AV_CODEC_CAP_HYBRID: encoders that need a device and its driver.
_DEVICE_ENCODER = (1 << 18) | (1 << 19)


@functools.cache
def check_encoder_starts(codec: str) -> None:
    """Open a device encoder once on a small frame, so one that is built into FFmpeg but cannot
    run here (NVENC without an NVIDIA driver) is refused before any work. Software encoders
    always start (and some print a banner when opened), so they are not tried."""
    if not av.codec.Codec(codec, "w").capabilities & _DEVICE_ENCODER:
        return
    context = cast(VideoCodecContext, av.codec.CodecContext.create(codec, "w"))
    context.width, context.height, context.pix_fmt = 256, 256, choose_pix_fmt(codec, None)
    context.time_base = Fraction(1, 25)
    try:
        context.open()
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(
            f"the {codec} encoder cannot start here (FFmpeg: {av_error_line(exc)}); try {DEFAULT_CODEC}"
        ) from None


def encoder_options(codec: str, crf: int | None, preset: str | None) -> tuple[int | None, str | None]:
    """(crf, preset) for `codec`: the codec's defaults where None, checked against its ranges.
    An encoder without such options gets (None, None); naming one for it is an error."""
    if codec not in ENCODER_OPTIONS:
        if crf is not None or preset is not None:
            raise MediaError(
                f"{codec} takes no {'crf' if crf is not None else 'preset'} option; "
                f"they apply to {', '.join(ENCODER_OPTIONS)}"
            )
        return None, None
    crfs, default_crf, presets, default_preset = ENCODER_OPTIONS[codec]
    if crf is not None and crf not in crfs:
        raise MediaError(f"crf {crf} is out of range for {codec}: {crfs.start} to {crfs.stop - 1} (lower is better)")
    if preset is not None and not presets:
        raise MediaError(f"{codec} takes no preset")
    if preset is not None and preset not in presets:
        raise MediaError(f"unknown preset {preset!r} for {codec}; one of: {', '.join(presets)}")
    return (default_crf if crf is None else crf), (default_preset if preset is None else preset)


def encoder_settings(codec: str, crf: int | None, preset: str | None, *, realtime: bool = False) -> dict[str, str]:
    """The FFmpeg options for `crf` and `preset`, for the encoders that take them; `realtime`
    (a camera's recording) adds the encoder's settings for keeping up with a live source."""
    settings = {} if crf is None or codec not in ENCODER_OPTIONS else {"crf": str(crf)}
    if preset and ENCODER_OPTIONS.get(codec, (range(0), 0, (), None))[2]:
        settings["preset"] = preset
    return settings | (REALTIME_SETTINGS.get(codec, {}) if realtime else {})


def choose_pix_fmt(codec: str, requested: str | None) -> str:
    """The pixel format asked for, checked; else yuv420p where the codec has it. A JPEG codec
    lists its full-range yuvj420p first and refuses limited-range yuv420p, so it gets that."""
    formats = [f.name for f in (av.codec.Codec(codec, "w").video_formats or [])]
    if requested:
        if formats and requested not in formats:
            raise MediaError(f"codec {codec} cannot encode pixel format {requested}; it takes: {', '.join(formats)}")
        return requested
    if formats and formats[0] == "yuvj420p":
        return formats[0]
    if not formats or "yuv420p" in formats:
        return "yuv420p"
    return formats[0]


def even_size_needed(codec: str, pix_fmt: str) -> tuple[bool, bool]:
    """(width must be even, height must be even): for chroma-subsampled formats, unless the
    encoder stores odd sizes itself."""
    match = re.search(r"4(\d)(\d)", pix_fmt)
    if codec in ODD_SIZE_CODECS or not match or pix_fmt.startswith(("gbr", "rgb", "bgr")):
        return False, False
    horizontal, vertical = match.groups()
    return horizontal in ("1", "2") or pix_fmt.startswith(("yuv42", "yuvj42")), vertical == "0"


def audio_copyable(container: str, audio_codec: str) -> bool:
    allowed = AUDIO_COPY_CODECS.get(container)
    return allowed is None or audio_codec in allowed


def audio_encoder(container: str) -> str:
    return AUDIO_ENCODERS.get(container, DEFAULT_AUDIO_ENCODER)


def audio_rate(encoder: str, rate: int | None) -> int:
    """The input's sample rate where the encoder takes it, else 48 kHz (or its highest)."""
    rates = av.codec.Codec(encoder, "w").audio_rates
    if rate and (not rates or rate in rates):
        return rate
    return AUDIO_RATE if not rates or AUDIO_RATE in rates else max(rates)


def input_layout(layout: av.AudioLayout | None) -> str:
    """A decoder's layout by name; one that names only a channel count ("6 channels": Matroska's
    PCM, some AAC) is the standard layout for that count, as ffmpeg takes it."""
    if layout is None or not layout.nb_channels:
        return "stereo"
    if all(channel.name == "NONE" for channel in layout.channels):
        return STANDARD_LAYOUTS.get(layout.nb_channels, layout.name)
    return str(layout.name)


def audio_layout(encoder: str, layout: str, rate: int) -> str:
    """The input's channel layout where the encoder takes it; else the standard layout with as
    many channels (5.1(side) is stored as 5.1, as ffmpeg does); else stereo."""
    count = av.AudioLayout(layout).nb_channels
    for candidate in (layout, STANDARD_LAYOUTS.get(count), "stereo"):
        if candidate is not None and _encoder_takes_layout(encoder, candidate, rate):
            return candidate
    return "stereo"


@functools.cache
def _encoder_takes_layout(encoder: str, layout: str, rate: int) -> bool:
    context = cast(AudioCodecContext, av.codec.CodecContext.create(encoder, "w"))
    context.sample_rate, context.layout = rate, layout
    context.format = (av.codec.Codec(encoder, "w").audio_formats or [av.AudioFormat("fltp")])[0].name
    try:
        context.open()
    except (av.error.FFmpegError, ValueError):
        return False
    return True
