"""`vidstyle batch` on real Ray (started in this process, 2 CPUs) and real clips made here."""

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clips import audio_duration_seconds, make_clip, read_video
from conftest import assert_one_error_line
from vidstyle.errors import VidstyleError
from vidstyle.jobs.batch import find_videos

FRAMES = 6


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    """One small Ray for the module: the CLI joins a session its program already started."""
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2,
        object_store_memory=80 * 2**20,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    yield
    ray.shutdown()


def _inputs(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    make_clip(root / "a.mp4", frames=FRAMES, audio=True)
    make_clip(root / "sub" / "b.mkv", frames=FRAMES, audio=True)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))  # an MP4 in name only
    return root


@pytest.mark.slow
def test_batch_stylizes_reports_failures_and_resumes(ray_session: None, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    inputs, out = _inputs(tmp_path / "in"), tmp_path / "out"
    args = [
        "batch",
        inputs,
        "--output-dir",
        out,
        "--model",
        tiny_model,
        "--device",
        "cpu",
        "--workers",
        "2",
        "--preset",
        "ultrafast",
    ]
    first = cli(*args)
    assert first.code == 1, first.err  # one file failed
    outputs = [out / "a.mp4", out / "sub" / "b.mkv"]
    for path in outputs:
        frames, _, _ = read_video(path)
        assert len(frames) == FRAMES
        assert (audio_duration_seconds(path) or 0) > 0.3
    report = json.loads((out / "batch-report.json").read_text())
    assert (report["done"], report["failed"], report["skipped"]) == (2, 1, 0)
    rows = {Path(row["input"]).name: row for row in report["files"]}
    assert rows["a.mp4"]["frames"] == rows["b.mkv"]["frames"] == FRAMES and rows["a.mp4"]["fps"] > 0
    assert rows["broken.mp4"]["status"] == "failed" and "broken.mp4" in rows["broken.mp4"]["error"]
    assert rows["a.mp4"]["error"] is None and rows["a.mp4"]["worker_peak_rss_mb"] > 0
    table = first.out.splitlines()
    assert table[0].split() == ["file", "frames", "fps", "status"]
    assert sum(line.endswith(" done") for line in table) == 2 and sum(line.endswith(" failed") for line in table) == 1
    # no temp files left
    assert sorted(p.name for p in out.rglob("*")) == ["a.mp4", "b.mkv", "batch-report.json", "sub"]

    # Again: the finished files are skipped, not rewritten; the broken one is tried and fails again.
    before = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in outputs}
    second = cli(*args)
    assert second.code == 1
    assert {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in outputs} == before
    report = json.loads((out / "batch-report.json").read_text())
    assert (report["done"], report["failed"], report["skipped"]) == (0, 1, 2)


def test_without_ray_it_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    make_clip(tmp_path / "a.mp4", frames=2)
    assert_one_error_line(
        cli("batch", tmp_path / "a.mp4", "--output-dir", tmp_path / "out"), "pip install 'vidstyle[scale]'"
    )
    assert not (tmp_path / "out").exists()


def test_bad_inputs_are_one_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ray")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert_one_error_line(cli("batch", tmp_path / "empty", "--output-dir", tmp_path / "out"), "no videos")
    assert_one_error_line(cli("batch", tmp_path / "missing.mp4", "--output-dir", tmp_path / "out"), "input not found")
    make_clip(tmp_path / "a.mp4", frames=2)
    assert_one_error_line(cli("batch", tmp_path / "a.mp4", "--output-dir", tmp_path / "file.txt"), "is a file")
    assert_one_error_line(cli("batch", tmp_path / "a.mp4", "--output-dir", tmp_path / "out", "--crf", "99"), "crf")
    assert not (tmp_path / "out").exists()  # no run above made its output folder


def test_a_bad_model_style_or_blend_is_one_line_before_ray_starts(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # had any of these reached Ray, the line would say to install it
    make_clip(tmp_path / "a.mp4", frames=2)
    truncated = tmp_path / "trunc.safetensors"
    truncated.write_bytes(tiny_model.read_bytes()[:2000])
    out = ["--output-dir", tmp_path / "out"]
    assert_one_error_line(
        cli("batch", tmp_path / "a.mp4", *out, "--model", truncated), "trunc.safetensors", "not a readable safetensors"
    )
    assert_one_error_line(
        cli("batch", tmp_path / "a.mp4", *out, "--model", tmp_path / "nope.onnx"), "model file not found"
    )
    assert_one_error_line(
        cli("batch", tmp_path / "a.mp4", *out, "--model", tiny_model, "--style-mix", "nosuch:1"), "nosuch"
    )
    assert_one_error_line(
        cli("batch", tmp_path / "a.mp4", *out, "--model", tiny_model, "--temporal-blend", "1.5"), "temporal blend"
    )
    assert_one_error_line(cli("batch", "", *out, "--model", tiny_model), "an argument is empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "trunc.safetensors"]


def test_outputs_mirror_folders_and_patterns(tmp_path: Path) -> None:
    for name in ("v/a.mp4", "v/deep/b.avi", "v/.c.partial.mp4", "v/notes.txt", "w/a.mp4"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    out = tmp_path / "styled"
    items = find_videos([tmp_path / "v"], out)
    assert [(i.input.name, i.output.relative_to(out).as_posix()) for i in items] == [
        ("a.mp4", "a.mp4"),
        ("b.avi", "deep/b.mp4"),
    ]
    items = find_videos([f"{tmp_path}/v/**/*.avi"], out)
    assert [i.output.relative_to(out).as_posix() for i in items] == ["deep/b.mp4"]
    with pytest.raises(Exception, match="would both be written"):
        find_videos([tmp_path / "v" / "a.mp4", tmp_path / "w" / "a.mp4"], out)
    with pytest.raises(Exception, match="an empty input path"):  # not the working folder
        find_videos([""], out)


def test_an_output_folder_inside_a_searched_input_folder_is_refused(tmp_path: Path) -> None:
    """As `vidstyle image` refuses it: a later run would take this run's results as inputs."""
    (tmp_path / "v" / "deep").mkdir(parents=True)
    (tmp_path / "v" / "deep" / "a.mp4").write_bytes(b"")
    inside = tmp_path / "v" / "styled"
    for inputs in ([tmp_path / "v"], [f"{tmp_path}/v/**/*.mp4"], [f"{tmp_path}/*"]):
        with pytest.raises(
            VidstyleError,
            match=re.escape(f"output folder {inside} is inside the input folder {tmp_path / 'v'}: a later run"),
        ):
            find_videos(inputs, inside)
    # a file alone searches nothing
    assert [i.input.name for i in find_videos([tmp_path / "v" / "deep" / "a.mp4"], inside)] == ["a.mp4"]


def test_the_rest_of_the_cli_does_not_import_ray() -> None:
    code = "import sys, vidstyle.cli, vidstyle.jobs.batch; vidstyle.cli.build_parser(); print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_a_file_whose_result_ray_lost_is_done_if_its_output_was_written_during_the_run(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    import time

    from vidstyle.jobs.batch_ray import row_without_result
    from vidstyle.jobs.batch_rows import BatchItem

    since = time.time() - 1.0
    written, missing, older = (
        BatchItem(tmp_path / f"{n}.mp4", tmp_path / "out" / f"{n}.mp4") for n in ("written", "missing", "older")
    )
    written.output.parent.mkdir()
    written.output.write_bytes(b"a finished file")  # atomic_output renames only finished files into place
    older.output.write_bytes(b"there before the run (a -y run whose worker died)")
    os.utime(older.output, (since - 60, since - 60))
    rows = [
        row_without_result(item, "not finished: Ray failed: worker died", since=since)
        for item in (written, missing, older)
    ]
    assert [r.status for r in rows] == ["done", "failed", "failed"]
    assert "lost when Ray failed" in rows[0].notes[0] and rows[0].error is None
    assert rows[1].error == rows[2].error == "not finished: Ray failed: worker died"


def test_ray_init_native_chatter_is_muted_and_stderr_comes_back(capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    from vidstyle.jobs.ray_session import native_stderr_muted

    with native_stderr_muted():
        os.write(2, b"gcs_client.cc:210: Failed to get cluster ID\n")  # what Ray's C++ client writes itself
    os.write(2, b"our own line\n")
    assert capfd.readouterr().err == "our own line\n"


def test_a_ray_address_where_nothing_listens_is_one_line_within_seconds(tmp_path: Path, tiny_model: Path) -> None:
    """Ray's client retried such an address for minutes (still running after 400 s). In a process of
    its own: this module's other tests leave a local Ray up in theirs, which `connect` would reuse."""
    pytest.importorskip("ray")
    import socket
    import subprocess
    import sys
    import time

    from conftest import CliResult

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_clip(tmp_path / "a.mp4", frames=2)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vidstyle",
            "-q",
            "batch",
            str(tmp_path / "a.mp4"),
            "--output-dir",
            str(tmp_path / "out"),
            "--model",
            str(tiny_model),
            "--ray",
            f"127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = CliResult(done.returncode, done.stdout, done.stderr)
    assert_one_error_line(result, f"cannot join Ray at '127.0.0.1:{port}': nothing answers there")
    assert time.monotonic() - started < 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
