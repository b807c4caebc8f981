"""Engine builds and the engine cache, on a fake `tensorrt` (tests/fake_tensorrt.py): the
profiles asked for, the timing cache's answer checked, and the cache keyed by the ONNX
graph, the precision, the TensorRT version and the compute capability."""

from __future__ import annotations

from pathlib import Path

import pytest

import fake_tensorrt
from vidstyle import load_model
from vidstyle.backends.engine_header import read_engine
from vidstyle.export.engine_cache import cached_engine
from vidstyle.export.tensorrt import build_engine

SHAPES = ((1, 3, 32, 32), (2, 3, 64, 64), (4, 3, 128, 128))


def _graph(tmp_path: Path, content: bytes = b"an onnx graph") -> Path:
    path = tmp_path / "m.onnx"
    path.write_bytes(content)
    return path


def test_a_build_asks_for_its_profile_and_writes_a_checked_header(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_tensorrt.install(monkeypatch)
    report = build_engine(
        _graph(tmp_path), tmp_path / "m.engine", load_model(tiny_model), shapes=SHAPES, precision="fp16"
    )
    header, plan = read_engine(report.path)
    assert plan.startswith(b"PLAN") and header.precision == "fp16" and header.compute_capability == "9.0"
    assert (header.min_shape, header.opt_shape, header.max_shape) == SHAPES
    assert ("network", 1 << fake.NetworkDefinitionCreationFlag.STRONGLY_TYPED) in fake.LOG
    assert ("profile", "images", *[list(s) for s in SHAPES]) in fake.LOG
    assert (tmp_path / "m.timing-cache").read_bytes() == b"TIMINGS:"


def test_a_refused_timing_cache_is_replaced_by_a_fresh_one(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_tensorrt.install(monkeypatch)
    (tmp_path / "old.cache").write_bytes(b"from another GPU")
    fake.REFUSED_CACHES.add(b"from another GPU")
    build_engine(
        _graph(tmp_path),
        tmp_path / "m.engine",
        load_model(tiny_model),
        shapes=SHAPES,
        precision="fp32",
        timing_cache=tmp_path / "old.cache",
    )
    answers = [entry[1:] for entry in fake.LOG if entry[0] == "set_timing_cache"]
    assert answers == [(b"from another GPU", False), (b"", True)]
    assert (tmp_path / "old.cache").read_bytes() == b"TIMINGS:"  # the build's own timings replace it


def test_the_engine_cache_is_keyed_by_graph_precision_version_and_capability(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_tensorrt.install(monkeypatch)
    model = load_model(tiny_model)
    cache = tmp_path / "cache"
    graph = _graph(tmp_path)
    here = dict(
        precision="fp16", tensorrt_version=fake.__version__, compute_capability="9.0", shapes=SHAPES, cache_dir=cache
    )

    def builds() -> int:
        return sum(1 for entry in fake.LOG if entry == ("build",))

    first, hit = cached_engine(graph, model, **here)  # type: ignore[arg-type]
    assert not hit and builds() == 1
    again, hit = cached_engine(graph, model, **here)  # type: ignore[arg-type]
    assert hit and again == first and builds() == 1
    paths = {first}
    for change in (
        {"precision": "fp32"},
        {"tensorrt_version": "10.14.1.48"},
        {"compute_capability": "8.9"},
        {"shapes": (SHAPES[0], SHAPES[0], SHAPES[2])},
    ):
        path, hit = cached_engine(graph, model, **(here | change))  # type: ignore[arg-type]
        assert not hit and path not in paths, change
        paths.add(path)
    other, hit = cached_engine(_graph(tmp_path, b"another graph"), model, **here)  # type: ignore[arg-type]
    assert not hit and other not in paths
    assert builds() == 6
    # One timing cache per TensorRT version and compute capability, shared by the graphs.
    assert sorted(p.name for p in cache.glob("*.timing-cache")) == [
        "trt10.13.3.9-sm89.timing-cache",
        "trt10.13.3.9-sm90.timing-cache",
        "trt10.14.1.48-sm90.timing-cache",
    ]


def test_a_cached_engine_whose_header_disagrees_is_built_again(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidstyle.backends.engine_header import write_engine

    fake = fake_tensorrt.install(monkeypatch)
    model = load_model(tiny_model)
    here = dict(
        precision="fp16",
        tensorrt_version=fake.__version__,
        compute_capability="9.0",
        shapes=SHAPES,
        cache_dir=tmp_path / "cache",
    )
    path, _ = cached_engine(_graph(tmp_path), model, **here)  # type: ignore[arg-type]
    header, plan = read_engine(path)
    from dataclasses import replace

    write_engine(path, replace(header, precision="fp32"), plan)  # a file under the wrong name
    again, hit = cached_engine(_graph(tmp_path), model, **here)  # type: ignore[arg-type]
    assert again == path and not hit and read_engine(path)[0].precision == "fp16"


@pytest.mark.parametrize(
    "shapes",
    [
        SHAPES,
        ((1, 3, 720, 1280), (4, 3, 720, 1280), (8, 3, 1088, 1920)),
        ((1, 3, 64, 96), (1, 3, 64, 96), (2, 3, 64, 96)),
    ],
)
def test_the_builds_parity_picture_lies_inside_the_profile(
    shapes: tuple,  # type: ignore[type-arg]
    tmp_path: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_tensorrt.install(monkeypatch)
    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(
        "vidstyle.export.tensorrt.engine_parity", lambda path, model, image: seen.append(tuple(image.shape)) or 60.0
    )
    build_engine(_graph(tmp_path), tmp_path / "m.engine", load_model(tiny_model), shapes=shapes, precision="fp16")
    ((batch, channels, height, width),) = seen
    low, high = shapes[0], shapes[2]
    assert batch == 1 and channels == 3 and low[2] <= height <= high[2] and low[3] <= width <= high[3], (seen, shapes)
