"""vidstyle models"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidstyle.modelfile import ModelCard

EXAMPLES = (
    "vidstyle models                       # the bundled models, their styles and how they were trained",
    "vidstyle stylize in.mp4 -o out.mp4 --model default",
)
OVERWRITE_HELP = None  # it only prints: no file for -y to replace, so it takes no -y


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: it lists what the package ships


def steps(card: ModelCard) -> str:
    """All the steps the net took, over every training segment: "4750 (3000+150+1600)"."""
    parts = [int(segment["steps"]) for segment in card.segments]
    if len(parts) < 2:
        return str(sum(parts) or card.steps)
    return f"{sum(parts)} ({'+'.join(map(str, parts))})"


def run(args: argparse.Namespace) -> int:
    del args
    from vidstyle.modelfile import bundled_models, load_model

    rows = [("name", "styles", "file", "size", "loss net", "steps", "train px")]
    for name, path in bundled_models().items():
        card = load_model(path).card
        rows.append(
            (
                name,
                ",".join(card.style_names),
                path.name,
                f"{path.stat().st_size / 1e6:.1f} MB",
                card.loss_net or "?",
                steps(card),
                str(card.image_size),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0
