"""Which container takes which codec, the codec a container gets when none is named, and the
ranges of each encoder's options: checked before anything is opened, so a bad combination is
one line instead of a failure after every frame was encoded.

Plain data and pure functions without PyAV, like options.py.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MediaError

# suffix -> FFmpeg muxer name
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
# The video codec a container gets when none is named: what its players expect.
DEFAULT_CODECS = {"webm": "libvpx-vp9"}
DEFAULT_CODEC = "libx264"
# Video a container holds for common players, by FFmpeg's codec (not encoder) name; absent: any.
# FFmpeg's own list (OutputContainer.supported_codecs) is wider than what players read.
VIDEO_CODECS = {
    "mp4": frozenset({"h264", "hevc", "vp9", "av1", "mpeg4"}),
    "webm": frozenset({"vp8", "vp9", "av1"}),
    "mov": frozenset({"h264", "hevc", "mpeg4", "prores", "mjpeg", "png", "qtrle"}),
}
# Audio copied as it is; any other is re-encoded (AAC, or Opus for WebM). PCM in MP4 is
# written by FFmpeg but rejected by most players and some muxer builds, so it is re-encoded.
AUDIO_COPY_CODECS = {
    "mp4": frozenset({"aac", "mp3", "opus", "alac", "ac3", "eac3", "flac"}),
    "webm": frozenset({"opus", "vorbis"}),
}
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})

X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo")
# encoder -> (crf range, its default crf, the presets it takes, its default preset)
ENCODER_OPTIONS: dict[str, tuple[range, int, tuple[str, ...], str | None]] = {
    "libx264": (range(0, 52), 18, X26X_PRESETS, "medium"),
    "libx264rgb": (range(0, 52), 18, X26X_PRESETS, "medium"),
    "libx265": (range(0, 52), 20, X26X_PRESETS, "medium"),
    "libvpx-vp9": (range(0, 64), 31, (), None),
    "libaom-av1": (range(0, 64), 30, (), None),
    "libsvtav1": (range(1, 64), 35, tuple(str(n) for n in range(14)), "8"),
}


def container_for(path: str | Path) -> str:
    """The muxer for an output name, or one line saying what to write instead."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        raise MediaError(f"{Path(path).name} is an image name; `vidstyle image` stylizes images, and a video needs .mp4, .mkv, .mov or .webm")
    if suffix == ".gif":
        raise MediaError(f"GIF output is not supported: write {Path(path).with_suffix('.mp4').name} or .webm (ffmpeg can make a GIF of it)")
    if suffix not in CONTAINERS:
        raise MediaError(f"unknown video suffix {suffix or '(none)'!r} for {Path(path).name}; use .mp4, .mkv, .mov or .webm")
    return CONTAINERS[suffix]


def choose_codec(path: str | Path, codec: str | None, *, codec_name: str | None = None) -> str:
    """The encoder for `path`: the one named, checked against the container, else the
    container's default. `codec_name` is FFmpeg's codec name for `codec` (vp9 for libvpx-vp9)."""
    container = container_for(path)
    if codec is None:
        return DEFAULT_CODECS.get(container, DEFAULT_CODEC)
    allowed = VIDEO_CODECS.get(container)
    if allowed is not None and (codec_name or codec) not in allowed:
        suggestion = DEFAULT_CODECS.get(container, DEFAULT_CODEC)
        raise MediaError(
            f"a {Path(path).suffix} file cannot hold {codec} video; use {suggestion} (the default for {Path(path).suffix}) or write .mkv"
        )
    return codec


def audio_copyable(container: str, audio_codec: str) -> bool:
    allowed = AUDIO_COPY_CODECS.get(container)
    return allowed is None or audio_codec in allowed


def encoder_options(codec: str, crf: int | None, preset: str | None) -> tuple[int | None, str | None]:
    """(crf, preset) for `codec`: the codec's defaults where None, checked against its ranges.
    An encoder without such options gets (None, None); naming one for it is an error."""
    if codec not in ENCODER_OPTIONS:
        if crf is not None or preset is not None:
            raise MediaError(f"{codec} takes no {'crf' if crf is not None else 'preset'} option; they apply to {', '.join(ENCODER_OPTIONS)}")
        return None, None
    crfs, default_crf, presets, default_preset = ENCODER_OPTIONS[codec]
    if crf is not None and crf not in crfs:
        raise MediaError(f"crf {crf} is out of range for {codec}: {crfs.start} to {crfs.stop - 1} (lower is better)")
    if preset is not None and not presets:
        raise MediaError(f"{codec} takes no preset")
    if preset is not None and preset not in presets:
        raise MediaError(f"unknown preset {preset!r} for {codec}; one of: {', '.join(presets)}")
    return (default_crf if crf is None else crf), (default_preset if preset is None else preset)
