import pytest

from vidstyle.errors import VidstyleError
from vidstyle.training.weights import InitialTerms, parse_weight, resolve_weight, resolve_weights


def test_parse_weight_keeps_ratios_and_numbers() -> None:
    assert parse_weight("10x") == "10x"
    assert parse_weight(" 1e5 ") == 1e5
    assert parse_weight("0") == 0.0


@pytest.mark.parametrize("text", ["abc", "-1", "nan", "infx", "x", "-2x"])
def test_parse_weight_rejects_nonsense_in_one_line(text: str) -> None:
    with pytest.raises(VidstyleError) as info:
        parse_weight(text)
    assert repr(text) in str(info.value) and "\n" not in str(info.value)


def test_resolve_weight_makes_the_term_a_multiple_of_content() -> None:
    assert resolve_weight("10x", raw=2.0, content_term=4.0) == 20.0  # 2 * 20 == 10 * 4
    assert resolve_weight(3.5, raw=2.0, content_term=4.0) == 3.5
    assert resolve_weights("2x", "0.5x", InitialTerms(content=8.0, style=4.0, tv=2.0)) == (4.0, 2.0)


def test_resolve_weight_refuses_a_zero_yardstick() -> None:
    with pytest.raises(VidstyleError, match="initial terms are zero"):
        resolve_weight("10x", raw=0.0, content_term=1.0)
