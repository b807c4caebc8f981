import pytest

from vidstyle import precision
from vidstyle.errors import VidstyleError
from vidstyle.training.precision import choose_precision, training_context


def test_training_probes_the_backward_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    probed: list[bool] = []

    def probe(mode: str, *, backward: bool) -> float:
        probed.append(backward)
        return {"fp32": 0.2, "bf16": 0.1}[mode]

    monkeypatch.setattr(precision, "probe_seconds", probe)
    assert choose_precision("cpu", "auto", flags=frozenset({"avx512_bf16"})).ctx.precision == "bf16"
    assert probed == [True] * 2 * precision.PROBE_ROUNDS


def test_training_context_keeps_an_explicit_precision() -> None:
    assert training_context("cpu", "bf16") == (choose_precision("cpu", "bf16").ctx, False)
    with pytest.raises(VidstyleError, match="fp16 needs a CUDA device"):
        training_context("cpu", "fp16")
