"""`stylize` that cannot finish: bad input or options in one line, a stop or an error mid-run,
and what each leaves on disk."""

from pathlib import Path

import pytest

from clips import make_clip, read_video
from conftest import assert_one_error_line
from video_jobs import cpu, run
from vidstyle.frames import FrameBatch
from vidstyle.jobs.video import VideoOptions


@pytest.mark.parametrize(
    "kind,needle",
    [
        ("missing", "not found"),
        ("empty", "empty"),
        ("text", "cannot read"),
        ("audio-only", "no video stream"),
        ("no-folder", "output folder does not exist"),
        ("bad-codec", "not available"),
    ],
)
def test_bad_input_one_line_no_output(kind: str, needle: str, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.mp4"
    out = tmp_path / "out.mp4"
    extra: list[str] = []
    if kind == "empty":
        src.write_bytes(b"")
    elif kind == "text":
        src.write_text("definitely not a video\n" * 20)
    elif kind == "audio-only":
        _audio_only(src)
    elif kind in ("no-folder", "bad-codec"):
        make_clip(src, frames=3)
        if kind == "no-folder":
            out = tmp_path / "missing" / "out.mp4"
        else:
            extra = ["--codec", "no_such_codec"]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("stylize", src, "-o", out, "--model", tiny_model, *extra)
    assert_one_error_line(result, needle)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_failed_run_keeps_existing_output(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    (tmp_path / "in.mp4").write_text("not a video")
    result = cli("stylize", tmp_path / "in.mp4", "-o", out, "--model", tiny_model)
    assert result.code != 0
    assert out.read_bytes() == b"precious"


def _audio_only(path: Path) -> None:
    import av

    from clips import _write_tone

    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        _write_tone(out, stream, seconds=0.5)


@pytest.mark.parametrize("keep", [False, True])
def test_stop_event_ends_the_run_without_an_exception(keep: bool, tmp_path: Path, tiny_model: Path) -> None:
    import threading

    src = make_clip(tmp_path / "in.mp4", frames=60, width=64, height=48)
    stop = threading.Event()

    def after_two_batches(batch: FrameBatch) -> None:
        if batch.first_index >= 4:
            stop.set()

    out = tmp_path / "out.mp4"
    result = run(src, out, tiny_model, runtime=cpu(batch=2), keep_partial=keep, on_batch=after_two_batches, stop=stop)
    assert result.interrupted and 6 <= result.frames < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in.mp4", "out.mp4"] if keep else ["in.mp4"])
    if keep:
        frames, times, _ = read_video(out)
        assert 6 <= len(frames) < 60 and times == sorted(times)


def test_keep_partial_on_an_error_keeps_the_old_file_and_nothing_else(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=30, audio=True)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"a good file")

    def fail(batch: FrameBatch) -> None:
        if batch.first_index >= 4:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        run(src, out, tiny_model, runtime=cpu(batch=2), keep_partial=True, on_batch=fail)
    assert out.read_bytes() == b"a good file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "out.mp4"]


def test_keep_partial_on_a_stop_goes_beside_an_existing_output(tmp_path: Path, tiny_model: Path) -> None:
    import threading

    src = make_clip(tmp_path / "in.mp4", frames=40, audio=True)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"a good file")
    stop = threading.Event()
    result = run(
        src,
        out,
        tiny_model,
        runtime=cpu(batch=2),
        keep_partial=True,
        stop=stop,
        on_batch=lambda b: b.first_index >= 4 and stop.set(),
    )
    assert out.read_bytes() == b"a good file"
    assert result.interrupted and result.output == tmp_path / "out.partial.mp4"
    frames, _, _ = read_video(result.output)
    assert len(frames) == result.frames and 6 <= result.frames < 40


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: cpu(batch=0), "batch must be at least 1"),
        (lambda: cpu(max_side=0), "max side must be at least 1"),
        (lambda: VideoOptions(temporal_blend=1.0), "temporal blend must be in [0, 1)"),
    ],
)
def test_options_are_checked_once_when_they_are_made(make, needle: str) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.errors import VidstyleError

    with pytest.raises(VidstyleError) as caught:
        make()
    assert needle in str(caught.value)
