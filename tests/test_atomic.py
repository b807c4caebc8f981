import os
from pathlib import Path

import pytest

from vidstyle.atomic import Interrupted, atomic_output, leftover_temp_files, made_outputs
from vidstyle.errors import OutputExistsError, VidstyleError


def test_success_renames_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt" and tmp.name.startswith(".out.")
        tmp.write_text("done")
    assert target.read_text() == "done"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VidstyleError, match="output folder does not exist"):
        with atomic_output(tmp_path / "nope" / "x.png"):
            pass


def test_never_touches_the_process_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipeline threads create files while outputs are written: the umask must stay put."""

    def forbidden(mask: int) -> int:
        raise AssertionError("os.umask called")

    monkeypatch.setattr(os, "umask", forbidden)
    with atomic_output(tmp_path / "out.bin") as tmp:
        tmp.write_bytes(b"x")
    assert (tmp_path / "out.bin").read_bytes() == b"x"


def test_replacing_keeps_the_old_files_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_output(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_keep_partial_keeps_on_interruption_only(tmp_path: Path) -> None:
    """An error never keeps a partial file: one cut by an error may not play."""
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(target, keep_partial=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target, keep_partial=True) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.read_text() == "half"


def test_keep_partial_never_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("good")
    for _ in range(2):
        with pytest.raises(Interrupted):
            with atomic_output(target, keep_partial=True) as tmp:
                tmp.write_text("half")
                raise Interrupted
    assert target.read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.partial-2.txt", "out.partial.txt", "out.txt"]


def test_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(VidstyleError, match="not writable"):
            with atomic_output(folder / "x.png"):
                pass
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_leftover_temp_files_are_what_a_killed_writer_left_and_nothing_else(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    out = tmp_path / "clip.mp4"
    since = time.time() - 1.0
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\nfrom vidstyle.atomic import atomic_output\n"
            "with atomic_output(sys.argv[1]) as tmp:\n"
            "    tmp.write_bytes(b'half')\n    os.kill(os.getpid(), signal.SIGKILL)",
            str(out),
        ]
    )
    assert killed.returncode == -9
    left = [p for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].name.startswith(".clip.") and left[0].read_bytes() == b"half"
    # Names that are not atomic_output's temp files for clip.mp4, and one of its own from before `since`.
    others = [
        ".clip.partial.mp4",
        ".clip.0123abcd.partial.mkv",
        ".clip2.0123abcd.partial.mp4",
        ".clip.0123abcdef.partial.mp4",
        "clip.partial.mp4",
    ]
    for name in others:
        (tmp_path / name).write_bytes(b"x")
    old = tmp_path / ".clip.89abcdef.partial.mp4"
    old.write_bytes(b"x")
    os.utime(old, (since - 60, since - 60))
    assert leftover_temp_files(out, since=since) == left


def test_without_overwrite_a_file_that_appears_meanwhile_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(OutputExistsError, match="appeared while it was being written"):
        with atomic_output(target, overwrite=False) as tmp:
            tmp.write_text("ours")
            target.write_text("theirs")  # another program, between the check and the rename
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_without_overwrite_a_new_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with atomic_output(target, overwrite=False) as tmp:
        tmp.write_text("ours")
    assert target.read_text() == "ours" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_without_hard_links_a_placeholder_claims_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")  # as on a file system without hard links

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "out.txt"
    with atomic_output(target, overwrite=False) as tmp:
        tmp.write_text("ours")
    assert target.read_text() == "ours"
    with pytest.raises(OutputExistsError, match="appeared while it was being written"):
        with atomic_output(target, overwrite=False) as tmp:
            tmp.write_text("again")
    assert target.read_text() == "ours" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_rename_that_fails_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.mkdir()  # a folder where the file would go: the rename itself fails
    with pytest.raises(OSError):
        with atomic_output(target) as tmp:
            tmp.write_text("ours")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.is_dir()


def test_made_outputs_never_takes_back_a_file_that_another_program_wrote(tmp_path: Path) -> None:
    theirs = tmp_path / "b.txt"
    with pytest.raises(OutputExistsError):
        with made_outputs() as made:
            with made.file(tmp_path / "a.txt") as out, atomic_output(out, overwrite=False) as tmp:
                tmp.write_text("ours")
            with made.file(theirs) as out, atomic_output(out, overwrite=False) as tmp:
                theirs.write_text("theirs")  # appears while ours is written
                tmp.write_text("ours")
    # Ours is taken back (the run failed); theirs stays.
    assert [p.name for p in tmp_path.iterdir()] == ["b.txt"] and theirs.read_text() == "theirs"
