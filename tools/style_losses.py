"""Content and style loss of models on the same pictures against one style image, as JSON.

For comparing a style of a multi-style model with a single-style model of that style:

    python -m tools.style_losses --style candy.jpg --images a.jpg b.jpg \
        --model four=four-styles.safetensors:candy --model single=candy.safetensors --out losses.json

Each --model is LABEL=PATH, with :STYLE to pick a multi-style model's style. The losses use the
loss net, layers and weights on the first model's card, so they are the terms training minimised.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

import vidstyle
from benchmarks.environment import describe
from vidstyle.atomic import atomic_output
from vidstyle.context import resolve_context
from vidstyle.images import read_image
from vidstyle.stylemix import one_hot, style_index
from vidstyle.training.losses import content_loss, style_loss
from vidstyle.training.styles import load_targets
from vidstyle.training.vgg import build_loss_net


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--style", required=True, help="the style image the losses are measured against")
    parser.add_argument("--images", nargs="+", required=True, help="content pictures")
    parser.add_argument("--model", action="append", required=True, metavar="LABEL=PATH[:STYLE]")
    parser.add_argument("--max-side", type=int, default=256, help="longer side of each picture (default 256)")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args(argv)

    models = {}
    for spec in args.model:
        label, _, rest = spec.partition("=")
        path, _, style = rest.partition(":")
        models[label] = (vidstyle.load_model(path), style)
    card = next(iter(models.values()))[0].card
    loss_net = build_loss_net(card.loss_net, content_layers=card.content_layers, style_layers=card.style_layers)
    vgg = loss_net.features.eval()
    grams = load_targets([args.style], vgg, loss_net.style_layers, max_side=512, device=torch.device("cpu")).grams[0]
    result: dict[str, object] = {
        "environment": describe(resolve_context("cpu")),
        "style": Path(args.style).name,
        "images": [Path(p).name for p in args.images],
        "max_side": args.max_side,
        "loss_net": card.loss_net,
        "content_weight": card.content_weight,
        "style_weight": card.style_weight,
        "models": {},
    }
    with torch.no_grad():  # each picture and its content features once, for every model
        pictures = [read_image(path, max_side=args.max_side) for path in args.images]
        targets = [vgg(x) for x in pictures]
    for label, (model, style) in models.items():
        weights = (
            one_hot(style_index(style, model.card.style_names), model.net.style_count)[None]
            if model.net.style_count > 1
            else None
        )
        rows = []
        for x, feats_x in zip(pictures, targets):
            with torch.no_grad():
                feats_y = vgg(model.net(x, weights))
            rows.append(
                (
                    float(content_loss(feats_y, feats_x, loss_net.content_layers)),
                    float(style_loss(feats_y, grams, loss_net.style_layers)),
                )
            )
        content = card.content_weight * sum(r[0] for r in rows) / len(rows)
        style_term = card.style_weight * sum(r[1] for r in rows) / len(rows)
        result["models"][label] = {  # type: ignore[index]
            "model": Path(model.source).name,
            "steps": model.card.steps,
            "image_size": model.card.image_size,
            "style": style or None,
            "content": content,
            "style_term": style_term,
        }
        print(f"{label}: content {content:.1f}, style {style_term:.1f}")
    with atomic_output(args.out) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
