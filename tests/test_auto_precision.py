from pathlib import Path

import pytest

from vidstyle import precision
from vidstyle.errors import VidstyleError
from vidstyle.precision import choose_precision, cpu_flags, native_bf16


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\nbogomips\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse2", "avx512f", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()
    assert native_bf16(cpu_flags(info)) == ["avx512_bf16"]


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


@pytest.mark.parametrize(
    ("fp32_s", "bf16_s", "expected"), [(0.2, 0.05, "bf16"), (0.05, 0.2, "fp32"), (0.1, 0.1, "fp32")]
)
@pytest.mark.parametrize("training", [False, True])
def test_auto_with_bf16_flags_keeps_the_faster_mode(
    monkeypatch: pytest.MonkeyPatch, fp32_s: float, bf16_s: float, expected: str, training: bool
) -> None:
    probed: list[bool] = []

    def probe(mode: str, *, backward: bool) -> float:
        probed.append(backward)
        return {"fp32": fp32_s, "bf16": bf16_s}[mode]

    monkeypatch.setattr(precision, "probe_seconds", probe)
    choice = choose_precision("cpu", "auto", training=training, flags=frozenset({"amx_bf16"}))
    assert choice.ctx.precision == expected and choice.use_scaler is False
    assert "amx_bf16" in choice.reason and "probe fp32" in choice.reason
    # Inference times the forward pass alone; training times the backward pass it runs too.
    assert probed == [training] * 2 * precision.PROBE_ROUNDS


@pytest.mark.parametrize("backward", [False, True])
def test_probe_runs_both_modes_for_real(backward: bool) -> None:
    assert 0 < precision.probe_seconds("fp32", size=16, repeats=1, backward=backward) < 10
    assert 0 < precision.probe_seconds("bf16", size=16, repeats=1, backward=backward) < 10
