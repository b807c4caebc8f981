"""Audio re-encoded for the output container: its channel layout and sample rate kept where the
encoder takes them (AAC for MP4, Opus for WebM), else the nearest it takes, said in the note."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from clips import audio_duration_seconds, make_clip
from vidstyle.media.decode import read_batches
from vidstyle.media.encode import VideoWriter
from vidstyle.media.options import EncodeOptions


def carry(src: Path, out: Path) -> str:
    """The input's frames as they are, with its audio carried: the writer's audio note."""
    with av.open(str(src)) as container:
        time_base = Fraction(container.streams.video[0].time_base or Fraction(1, 1000))
    codec = "libvpx-vp9" if out.suffix == ".webm" else "libx264"
    writer = VideoWriter(
        out, EncodeOptions(width=64, height=48, time_base=time_base, codec=codec, crf=None, preset=None), carry_from=src
    )
    for batch in read_batches(src, 4):
        writer.write(batch)
    writer.close()
    return writer.audio_action or ""


def audio_of(path: Path) -> tuple[str, int, int]:
    with av.open(str(path)) as container:
        context = container.streams.audio[0].codec_context
        return context.name, context.layout.nb_channels, context.sample_rate


@pytest.mark.parametrize(
    ("source", "layout", "output", "expected"),
    [
        ("in.mp4", "5.1(side)", "out.webm", ("opus", 6)),  # aac -> libopus
        ("in.mov", "5.1(side)", "out.mp4", ("aac", 6)),  # PCM -> aac
        ("in.mkv", "5.1", "out.mp4", ("aac", 6)),  # PCM whose container keeps only the channel count
        ("in.mov", "7.1", "out.webm", ("opus", 8)),
    ],
)
def test_surround_keeps_its_channels(
    source: str, layout: str, output: str, expected: tuple[str, int], tmp_path: Path
) -> None:
    """5.1 re-encoded used to become stereo without a word."""
    src = make_clip(
        tmp_path / source,
        frames=12,
        audio=True,
        audio_codec="aac" if source.endswith(".mp4") else "pcm_s16le",
        audio_rate=48000,
        audio_layout=layout,
    )
    note = carry(src, tmp_path / output)
    assert audio_of(tmp_path / output)[:2] == expected
    assert "re-encoded" in note and "stored as" not in note


def test_a_layout_the_encoder_cannot_take_is_stored_as_the_standard_one_and_said(tmp_path: Path) -> None:
    src = make_clip(
        tmp_path / "in.mov", frames=12, audio=True, audio_codec="pcm_s16le", audio_rate=48000, audio_layout="2.1"
    )
    note = carry(src, tmp_path / "out.webm")
    assert audio_of(tmp_path / "out.webm")[:2] == ("opus", 3)
    assert note.endswith("; 2.1 channels stored as 3.0 (libopus cannot take 2.1)"), note


@pytest.mark.parametrize("rate", [44100, 22050, 96000])
def test_webm_resamples_rates_opus_cannot_take_to_48_khz(rate: int, tmp_path: Path) -> None:
    """libopus takes 48, 24, 16, 12 and 8 kHz only; 44.1 kHz (most phones and cameras) failed."""
    src = make_clip(tmp_path / "in.mp4", frames=12, rate=12, audio=True, audio_rate=rate, audio_layout="stereo")
    note = carry(src, tmp_path / "out.webm")
    assert audio_of(tmp_path / "out.webm") == ("opus", 2, 48000)
    assert f"; {rate} Hz -> 48000 Hz" in note
    assert audio_duration_seconds(tmp_path / "out.webm") == pytest.approx(1.0, abs=0.05)


def test_rates_and_mono_the_encoder_takes_are_kept(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=12, audio=True, audio_codec="pcm_s16le", audio_rate=22050)
    note = carry(src, tmp_path / "out.mp4")
    assert audio_of(tmp_path / "out.mp4") == ("aac", 1, 22050)
    assert note == "audio: re-encoded pcm_s16le -> aac (the output container cannot hold pcm_s16le)"
