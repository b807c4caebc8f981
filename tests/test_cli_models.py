"""vidstyle models: a listing, so its options are only what a listing needs."""

from __future__ import annotations

from conftest import assert_one_error_line


def test_models_offers_no_overwrite_flag(cli) -> None:  # type: ignore[no-untyped-def]
    help_text = cli("models", "--help").out
    assert "--quiet" in help_text and "-y" not in help_text and "--overwrite" not in help_text
    assert_one_error_line(cli("models", "-y"), "unrecognized arguments: -y")


def test_models_lists_every_bundled_model(cli) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.modelfile import bundled_models

    result = cli("models")
    assert result.code == 0
    names = [line.split()[0] for line in result.out.splitlines()[1:]]
    assert names == list(bundled_models()) and "default" in names


def test_commands_that_write_files_keep_y(cli) -> None:  # type: ignore[no-untyped-def]
    for command in ("stylize", "image", "export", "import", "train"):
        assert "-y, --overwrite" in cli(command, "--help").out, command


def test_models_counts_the_steps_of_every_training_segment(cli) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.commands.models import steps
    from vidstyle.modelfile import ModelCard, load_model

    # four-styles went on from a mosaic run: its own 1600 steps are the last of three segments.
    card = load_model("four-styles").card
    assert [int(s["steps"]) for s in card.segments] == [3000, 150, 1600] and card.steps == 4750
    four = next(line for line in cli("models").out.splitlines() if line.startswith("four-styles"))
    assert "4750 (3000+150+1600)" in four
    assert steps(ModelCard(steps=300)) == "300"  # a card from before segments were kept
    assert steps(ModelCard(steps=300, segments=({"steps": 300},))) == "300"
