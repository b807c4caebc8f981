"""End-to-end `stylize` on real PyAV files made inside the tests: what it makes of them (stops
and failures: test_video_failures.py)."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import audio_duration_seconds, make_clip, read_video
from video_jobs import cpu, run
from vidstyle import load_model, stylize_image
from vidstyle.frames import FrameBatch
from vidstyle.jobs.video import Encoding, VideoResult

# Lossless, so that outputs compare as the net made them and not as a codec rounded them.
LOSSLESS = Encoding(codec="ffv1", pix_fmt="bgr0")


def _with_device_colour(src: Path, out: Path, model: Path, temporal_blend: float = 0.0) -> VideoResult:
    return run(src, out, model, runtime=cpu(colour_convert="device"), encode=LOSSLESS, temporal_blend=temporal_blend)


def test_constant_rate_frames_and_pts(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=25, rate=25)
    result = run(src, tmp_path / "out.mp4", tiny_model, runtime=cpu(batch=4))
    _, in_times, _ = read_video(src)
    frames, out_times, _ = read_video(tmp_path / "out.mp4")
    assert result.frames == len(frames) == 25
    assert np.allclose(out_times, in_times, atol=1e-3)


def test_variable_rate_pts_survive(tmp_path: Path, tiny_model: Path) -> None:
    time_base = Fraction(1, 90000)
    gaps = [3000, 3000, 6000, 1500, 4500, 3000, 9000, 3000, 1500, 3000, 6000, 3000]
    pts = list(np.cumsum([0, *gaps]))
    src = make_clip(tmp_path / "vfr.mp4", pts=[int(p) for p in pts], time_base=time_base)
    run(src, tmp_path / "out.mp4", tiny_model, runtime=cpu(batch=5))
    _, in_times, _ = read_video(src)
    _, out_times, _ = read_video(tmp_path / "out.mp4")
    assert len(out_times) == len(in_times) == 13
    assert np.allclose(out_times, in_times, atol=1e-3)
    assert len({round(b - a, 4) for a, b in zip(out_times, out_times[1:])}) > 2  # still variable


def test_audio_is_copied_with_its_duration(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=24, rate=12, audio=True)
    result = run(src, tmp_path / "out.mp4", tiny_model)
    assert "copied" in result.audio
    duration_in, duration_out = audio_duration_seconds(src), audio_duration_seconds(tmp_path / "out.mp4")
    assert duration_in and duration_out
    assert abs(duration_out - duration_in) <= 1 / 12


def test_audio_is_reencoded_when_the_container_cannot_hold_it(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=12, rate=12, audio=True, audio_codec="pcm_s16le")
    result = run(src, tmp_path / "out.webm", tiny_model, encode=Encoding(codec="libvpx-vp9", crf=40))
    assert "re-encoded" in result.audio
    assert (
        abs((audio_duration_seconds(tmp_path / "out.webm") or 0) - (audio_duration_seconds(src) or 0)) <= 1 / 12 + 0.03
    )


def test_odd_size_and_rotation(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "odd.mkv", width=321, height=241, frames=3, codec="ffv1", pix_fmt="yuv444p", rotation=90)
    result = run(src, tmp_path / "same.mkv", tiny_model, encode=Encoding(codec="ffv1", pix_fmt="yuv444p"))
    frames, _, rotation = read_video(tmp_path / "same.mkv")
    assert frames[0].shape == (241, 321, 3)
    assert rotation == 90
    assert not any("odd" in note for note in result.notes)
    # H.264 4:2:0 cannot hold odd sizes: the edge is repeated to 322x242, and said so.
    result = run(src, tmp_path / "padded.mp4", tiny_model)
    frames, _, rotation = read_video(tmp_path / "padded.mp4")
    assert frames[0].shape == (242, 322, 3)
    assert rotation == 90
    assert any("odd" in note for note in result.notes)


def test_lossless_output_equals_stylize_image(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", width=40, height=32, frames=6, codec="ffv1", pix_fmt="bgr0")
    run(src, tmp_path / "out.mkv", tiny_model, runtime=cpu(batch=4), encode=LOSSLESS)
    inputs, _, _ = read_video(src)
    outputs, _, _ = read_video(tmp_path / "out.mkv")
    model = load_model(tiny_model)
    for frame_in, frame_out in zip(inputs, outputs):
        expected = stylize_image(torch.from_numpy(frame_in), model=model, device="cpu").numpy()
        assert np.abs(expected.astype(int) - frame_out.astype(int)).max() <= 1


def test_ten_bit_input_decodes(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in10.mkv", frames=4, codec="ffv1", pix_fmt="yuv420p10le")
    run(src, tmp_path / "out.mp4", tiny_model)
    frames, _, _ = read_video(tmp_path / "out.mp4")
    assert len(frames) == 4 and frames[0].shape == (48, 64, 3)
    assert frames[0].std() > 5  # real picture content, not a black or garbage frame


def test_truncated_file_stylizes_what_decodes(tmp_path: Path, tiny_model: Path) -> None:
    full = make_clip(tmp_path / "full.mkv", frames=40, width=64, height=48, codec="ffv1")
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 6 // 10])
    result = run(cut, tmp_path / "out.mp4", tiny_model)
    frames, _, _ = read_video(tmp_path / "out.mp4")
    assert 5 < result.frames < 40 and len(frames) == result.frames
    assert any("truncated" in note for note in result.notes)


def test_corrupt_packets_are_skipped_and_counted(tmp_path: Path, tiny_model: Path) -> None:
    # FFV1 with slice CRCs, so the decoder can tell a damaged frame from a strange one.
    full = make_clip(
        tmp_path / "full.mkv", frames=30, width=64, height=48, codec="ffv1", options={"level": "3", "slicecrc": "1"}
    )
    data = bytearray(full.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 200] = bytes(range(200))  # overwrite a stretch in the middle of the stream
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(bytes(data))
    result = run(bad, tmp_path / "out.mp4", tiny_model)
    frames, _, _ = read_video(tmp_path / "out.mp4")
    assert result.corrupt_packets >= 1
    assert 25 <= result.frames == len(frames) < 30
    assert any("damaged" in note for note in result.notes)


@pytest.mark.slow
def test_memory_stays_flat_over_3000_frames(tmp_path: Path, tiny_model: Path) -> None:
    import psutil

    src = make_clip(tmp_path / "long.mp4", frames=3000, width=96, height=64, rate=30)
    process = psutil.Process()
    rss: dict[int, int] = {}

    def sample(batch: FrameBatch) -> None:
        done = batch.first_index + len(batch)
        if done in (500, 3000):
            rss[done] = process.memory_info().rss

    run(
        src,
        tmp_path / "out.mp4",
        tiny_model,
        runtime=cpu(batch=4),
        encode=Encoding(preset="ultrafast"),
        on_batch=sample,
    )
    growth_mb = (rss[3000] - rss[500]) / 2**20
    assert growth_mb < 50, growth_mb


def test_device_colour_conversion_matches_host(tmp_path: Path, tiny_model: Path) -> None:
    """I420 planes converted where the net runs give the same picture as the decoder's RGB."""
    src = make_clip(tmp_path / "in.mp4", frames=6, width=64, height=48)
    run(src, tmp_path / "host.mkv", tiny_model, encode=LOSSLESS)
    result = _with_device_colour(src, tmp_path / "device.mkv", tiny_model)
    host, _, _ = read_video(tmp_path / "host.mkv")
    device, _, _ = read_video(tmp_path / "device.mkv")
    assert result.frames == len(device) == len(host) == 6
    assert max(np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(host, device)) < 3


def test_temporal_blend_with_device_colour_conversion(tmp_path: Path, tiny_model: Path) -> None:
    """The blend's flow needs RGB sources on the host even when the decoder hands over I420."""
    from vidstyle.temporal import warping_error

    src = make_clip(tmp_path / "in.mp4", frames=10, width=64, height=48)
    plain = _with_device_colour(src, tmp_path / "plain.mkv", tiny_model)
    blended = _with_device_colour(src, tmp_path / "blended.mkv", tiny_model, temporal_blend=0.5)
    inputs, _, _ = read_video(src)
    a, _, _ = read_video(tmp_path / "plain.mkv")
    b, _, _ = read_video(tmp_path / "blended.mkv")
    assert plain.frames == blended.frames == len(a) == len(b) == 10
    steady, flickery = warping_error(zip(inputs, b)), warping_error(zip(inputs, a))
    assert steady.stylized_warping_error < 0.7 * flickery.stylized_warping_error


def test_max_side_keeps_frames_at_the_net_size_until_the_encoder(tmp_path: Path, tiny_model: Path) -> None:
    """Memory follows the net's size, not the source's: every batch between the stages is
    net-sized, and only the encoder scales back to the source size, one frame at a time."""
    src = make_clip(tmp_path / "in.mp4", frames=9, width=640, height=360, audio=True)
    sizes: set[tuple[int, int]] = set()
    result = run(
        src,
        tmp_path / "out.mp4",
        tiny_model,
        runtime=cpu(batch=4, max_side=64),
        on_batch=lambda b: sizes.add((b.width, b.height)),
    )
    frames, _, _ = read_video(tmp_path / "out.mp4")
    assert sizes == {(64, 36)}
    assert result.frames == len(frames) == 9 and frames[0].shape == (360, 640, 3)
