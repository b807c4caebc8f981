"""The TensorRT engine header: round trip, mismatch messages, damaged and foreign files."""

import json
from pathlib import Path

import pytest

from vidstyle.backends.engine_header import EngineHeader, check_header, read_engine, write_engine
from vidstyle.errors import VidstyleError


def _header(**changes: object) -> EngineHeader:
    base = dict(
        tensorrt_version="10.13.0.35",
        gpu_name="NVIDIA H100 80GB HBM3",
        compute_capability="9.0",
        onnx_sha256="0" * 64,
        precision="fp16",
        min_shape=(1, 3, 64, 64),
        opt_shape=(4, 3, 720, 1280),
        max_shape=(8, 3, 1088, 1920),
        source_model="m.safetensors",
    )
    base.update(changes)
    return EngineHeader(**base)  # type: ignore[arg-type]


def test_engine_header_mismatch_names_the_rebuild_command(tmp_path: Path) -> None:
    path = tmp_path / "m.engine"
    write_engine(path, _header(), b"PLAN")
    header, plan = read_engine(path)
    assert plan == b"PLAN" and header == _header()
    here = dict(
        path=str(path), tensorrt_version="10.13.0.35", gpu_name="NVIDIA H100 80GB HBM3", compute_capability="9.0"
    )
    check_header(header, **here)  # same machine: fine
    for change in ({"tensorrt_version": "11.4.0.106"}, {"gpu_name": "NVIDIA A10G", "compute_capability": "8.6"}):
        with pytest.raises(VidstyleError) as info:
            check_header(header, **(here | change))
        message = str(info.value)
        assert "\n" not in message
        assert f"vidstyle export m.safetensors --format engine --output {path}" in message


def test_engine_header_ignores_keys_it_does_not_know(tmp_path: Path) -> None:
    from dataclasses import asdict

    data = asdict(_header()) | {"extra": {}}  # older engines carried an unused "extra"
    assert EngineHeader.from_dict(json.loads(json.dumps(data))) == _header()


def test_engine_file_without_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "raw.engine"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(VidstyleError, match="no header"):
        read_engine(path)


def test_a_multi_style_header_records_its_styles_and_an_old_one_means_one(tmp_path: Path) -> None:
    from dataclasses import asdict

    path = tmp_path / "multi.engine"
    write_engine(path, _header(style_names=("candy", "mosaic", "udnie")), b"PLAN")
    header, _ = read_engine(path)
    assert header.style_names == ("candy", "mosaic", "udnie") and header.style_count == 3
    old = {k: v for k, v in asdict(_header()).items() if k != "style_names"}  # written before styles existed
    assert EngineHeader.from_dict(json.loads(json.dumps(old))).style_count == 1
