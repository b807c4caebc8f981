"""Keep some of a multi-style model's styles, in the order given, and drop the rest.

    python tools/pick_styles.py five.safetensors four.safetensors --styles mosaic candy starry_night the_scream

Each style is one row of every norm's (gamma, beta) and the convs are shared, so a subset is
exactly the model restricted to those rows: each kept style's pictures do not change.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import vidstyle
from vidstyle.stylemix import style_index
from vidstyle.training.styles import keep_styles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a multi-style .safetensors model")
    parser.add_argument("output", help="where the model with the kept styles goes")
    parser.add_argument("--styles", nargs="+", required=True, help="the styles to keep, by name or index")
    args = parser.parse_args(argv)

    model = vidstyle.load_model(args.model)
    rows = [style_index(style, model.card.style_names) for style in args.styles]
    net = keep_styles(model.net, rows)
    card = dataclasses.replace(model.card, styles=tuple(model.card.styles[i] for i in rows))
    vidstyle.save_model(args.output, net, card)
    print(f"wrote {args.output}: {', '.join(card.style_names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
