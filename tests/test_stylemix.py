import pytest
import torch

from vidstyle.errors import VidstyleError
from vidstyle.stylemix import normalised, parse_mix, parse_schedule, style_index

NAMES = ["candy", "mosaic", "starry"]


def test_style_by_name_or_index() -> None:
    assert style_index("mosaic", NAMES) == 1
    assert style_index("2", NAMES) == 2


def test_mix_is_normalised_and_accepts_indices() -> None:
    torch.testing.assert_close(parse_mix("starry:0.7,candy:0.3", NAMES), torch.tensor([0.3, 0.0, 0.7]))
    torch.testing.assert_close(parse_mix("0:1,1:3", NAMES), torch.tensor([0.25, 0.75, 0.0]))


def test_schedule_interpolates_linearly_and_holds_at_the_ends() -> None:
    schedule = parse_schedule("0s:candy,4s:starry,8s:candy", NAMES)
    torch.testing.assert_close(schedule.at(-1.0), torch.tensor([1.0, 0.0, 0.0]))
    torch.testing.assert_close(schedule.at(1.0), torch.tensor([0.75, 0.0, 0.25]))
    torch.testing.assert_close(schedule.at(4.0), torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(schedule.at(6.0), torch.tensor([0.5, 0.0, 0.5]))
    torch.testing.assert_close(schedule.at(99.0), torch.tensor([1.0, 0.0, 0.0]))


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (
            lambda: style_index("picasso", NAMES),
            "no style 'picasso' in this model; its styles are 0:candy, 1:mosaic, 2:starry",
        ),
        (lambda: style_index("3", NAMES), "no style '3'"),
        (lambda: parse_mix("candy:-1,mosaic:2", NAMES), "must be finite and >= 0"),
        (lambda: parse_mix("candy:0,mosaic:0", NAMES), "all zero"),
        (lambda: parse_mix("candy", NAMES), "is not NAME:WEIGHT"),
        (lambda: parse_mix("candy:lots", NAMES), "is not a number"),
        (lambda: normalised(torch.ones(2), NAMES), "2 style weights for a model with 3 styles"),
        (lambda: parse_schedule("4s:candy,2s:mosaic", NAMES), "times must increase"),
        (lambda: parse_schedule("soon:candy", NAMES), "is not a number of seconds"),
        (
            lambda: parse_schedule("nans:candy,1s:mosaic", NAMES),
            "style schedule time 'nans' is not a time of 0 or more seconds",
        ),
        (
            lambda: parse_schedule("0s:candy,infs:mosaic", NAMES),
            "style schedule time 'infs' is not a time of 0 or more seconds",
        ),
        (lambda: parse_schedule("-1s:candy", NAMES), "is not a time of 0 or more seconds"),
    ],
)
def test_bad_style_arguments_are_one_line_naming_the_styles(call, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VidstyleError) as info:
        call()
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_a_choice_resolves_to_a_constant_or_scheduled_weight_row() -> None:
    from vidstyle.stylemix import StyleChoice

    torch.testing.assert_close(StyleChoice().resolve(NAMES).at(5.0), torch.tensor([1.0, 0.0, 0.0]))  # type: ignore[union-attr]
    torch.testing.assert_close(StyleChoice(style="starry").resolve(NAMES).at(0.0), torch.tensor([0.0, 0.0, 1.0]))  # type: ignore[union-attr]
    torch.testing.assert_close(
        StyleChoice(mix="candy:1,mosaic:1").resolve(NAMES).at(9.0),  # type: ignore[union-attr]
        torch.tensor([0.5, 0.5, 0.0]),
    )
    torch.testing.assert_close(
        StyleChoice(schedule="0s:candy,2s:mosaic").resolve(NAMES).at(1.0),  # type: ignore[union-attr]
        torch.tensor([0.5, 0.5, 0.0]),
    )


def test_a_single_style_model_needs_no_weights_but_still_checks_the_name() -> None:
    from vidstyle.stylemix import StyleChoice

    assert StyleChoice(style="mosaic").resolve(["mosaic"]) is None
    with pytest.raises(VidstyleError, match="its styles are 0:mosaic"):
        StyleChoice(style="candy").resolve(["mosaic"])


def test_a_choice_takes_one_kind_only() -> None:
    from vidstyle.stylemix import StyleChoice

    with pytest.raises(VidstyleError, match="not style and style mix"):
        StyleChoice(style="candy", mix="candy:1")
