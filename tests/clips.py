"""Tiny real media files made with PyAV, so tests never depend on files outside the repo."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def frame_pixels(index: int, width: int, height: int) -> np.ndarray:
    """A moving gradient with a square: content that changes every frame and compresses well."""
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(1, width - 1) + index * 7) % 256
    g = (y * 255 // max(1, height - 1) + index * 3) % 256
    b = np.full_like(r, (index * 11) % 256)
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    side = max(2, min(width, height) // 4)
    left = (index * 2) % max(1, width - side)
    img[height // 3 : height // 3 + side, left : left + side] = (250, 250, 30)
    return img


def make_clip(
    path: Path,
    *,
    frames: int = 12,
    width: int = 64,
    height: int = 48,
    rate: int = 12,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    audio: bool = False,
    audio_codec: str = "aac",
    audio_rate: int = 16000,
    audio_layout: str = "mono",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    options: dict[str, str] | None = None,
) -> Path:
    """Write a clip. `pts` (in `time_base` units) makes it variable frame rate."""
    time_base = time_base or Fraction(1, rate)
    pts = pts if pts is not None else [round(i / rate / time_base) for i in range(frames)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.time_base = time_base
        stream.time_base = time_base
        stream.codec_context.options = options or ({"preset": "ultrafast"} if codec.startswith("libx26") else {})
        if rotation:
            stream.set_display_rotation(rotation)
        audio_stream = None
        if audio:
            audio_stream = out.add_stream(audio_codec, rate=audio_rate)
            audio_stream.layout = audio_layout
        for i, p in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(frame_pixels(i, width, height), format="rgb24").reformat(format=pix_fmt)
            frame.pts, frame.time_base = p, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if audio_stream is not None:
            _write_tone(out, audio_stream, seconds=float((pts[-1] + 1) * time_base))
    return path


def _write_tone(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, *, seconds: float) -> None:
    """A 440 Hz tone on every channel of the stream's layout, in its sample format."""
    rate = stream.codec_context.sample_rate
    fmt = stream.codec_context.format.name
    layout = stream.codec_context.layout
    channels = layout.nb_channels
    samples = int(seconds * rate)
    t = np.arange(samples) / rate
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    chunk = 1024
    for start in range(0, samples, chunk):
        block = np.repeat(tone[start : start + chunk][None], channels, axis=0)
        if fmt == "s16":  # interleaved: one row of samples x channels
            frame = av.AudioFrame.from_ndarray(
                (block.T.reshape(1, -1) * 32767).astype(np.int16), format="s16", layout=layout.name
            )
        else:
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout.name)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def read_video(path: Path) -> tuple[list[np.ndarray], list[float], int]:
    """Decoded RGB frames, their pts in seconds, and the rotation of the first frame."""
    frames, times, rotation = [], [], 0
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == 0:
                rotation = int(round(frame.rotation or 0))
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * frame.time_base))
    return frames, times, rotation


def audio_duration_seconds(path: Path) -> float | None:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        end = 0.0
        for packet in container.demux(stream):
            if packet.pts is not None and packet.duration:
                end = max(end, float((packet.pts + packet.duration) * packet.time_base))
        return end


def make_ts(
    path: Path, *, start: float = 1.6, frames: int = 40, rate: int = 10, audio: bool = True, gop: int = 5
) -> Path:
    """An MPEG-TS clip whose timestamps start at `start` seconds, as broadcast captures and
    cameras do, with a keyframe every `gop` frames (so a trim really seeks) and MP2 audio."""
    time_base = Fraction(1, 90000)
    with av.open(str(path), "w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.options = {"preset": "ultrafast", "g": str(gop), "keyint_min": str(gop)}
        audio_stream = out.add_stream("mp2", rate=48000) if audio else None
        if audio_stream is not None:
            audio_stream.layout = "stereo"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_pixels(i, 64, 48), format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = round((start + i / rate) / time_base), time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if audio_stream is not None:
            samples, rate_hz = 1152, 48000
            for first in range(round(start * rate_hz), round((start + frames / rate) * rate_hz), samples):
                tone = (6000 * np.sin(2 * np.pi * 440 * np.arange(first, first + samples) / rate_hz)).astype(np.int16)
                block = av.AudioFrame.from_ndarray(np.repeat(tone, 2)[None], format="s16", layout="stereo")
                block.sample_rate, block.pts, block.time_base = rate_hz, first, Fraction(1, rate_hz)
                out.mux(audio_stream.encode(block))
            out.mux(audio_stream.encode(None))
    return path
