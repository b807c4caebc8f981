from pathlib import Path

import pytest

from vidstyle.errors import VidstyleError
from vidstyle.training import precision
from vidstyle.training.precision import choose_precision, cpu_flags


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\nbogomips\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse2", "avx512f", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_explicit_precision_is_kept_and_fp16_needs_cuda() -> None:
    assert choose_precision("cpu", "bf16").ctx.precision == "bf16"
    assert choose_precision("cpu", "fp32").use_scaler is False
    with pytest.raises(VidstyleError, match="fp16 needs a CUDA device"):
        choose_precision("cpu", "fp16")


def test_auto_without_native_bf16_is_fp32_without_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_probe(*_: object, **__: object) -> float:
        raise AssertionError("probed a CPU without bf16 flags")

    monkeypatch.setattr(precision, "probe_seconds", no_probe)
    choice = choose_precision("cpu", "auto", flags=frozenset({"avx2", "avx512f"}))
    assert choice.ctx.precision == "fp32" and "no native bf16" in choice.reason


@pytest.mark.parametrize(("fp32_s", "bf16_s", "expected"), [(0.2, 0.05, "bf16"), (0.05, 0.2, "fp32"), (0.1, 0.1, "fp32")])
def test_auto_with_bf16_flags_keeps_the_faster_mode(monkeypatch: pytest.MonkeyPatch, fp32_s: float, bf16_s: float, expected: str) -> None:
    monkeypatch.setattr(precision, "probe_seconds", lambda mode, **_: {"fp32": fp32_s, "bf16": bf16_s}[mode])
    choice = choose_precision("cpu", "auto", flags=frozenset({"amx_bf16"}))
    assert choice.ctx.precision == expected
    assert "amx_bf16" in choice.reason and "probe fp32" in choice.reason


def test_probe_runs_both_modes_for_real() -> None:
    assert 0 < precision.probe_seconds("fp32", size=16, repeats=1) < 10
    assert 0 < precision.probe_seconds("bf16", size=16, repeats=1) < 10
