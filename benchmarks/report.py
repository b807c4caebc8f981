"""Turn benchmark JSON files into a markdown table and (with matplotlib) a PNG plot.

python -m benchmarks.report benchmarks/results/*.json --md table.md --png plot.png
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from vidstyle.atomic import atomic_output


def save_with_table(out: Path, result: dict[str, Any], header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Write `result` as JSON to `out` and its markdown table beside it (same name, .md); return the table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in rows
    ]
    table = "\n".join(lines)
    for path, text in ((out, json.dumps(result, indent=2)), (out.with_suffix(".md"), table + "\n")):
        with atomic_output(path) as tmp:  # an interrupted run leaves the previous results whole
            tmp.write_text(text)
    return table


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if value == 0 or abs(value) >= 0.01 else f"{value:.2e}"
    return str(value)


def model_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| size | backend | precision | batch | model fps | ms/frame p50 | p95 | TFLOP/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["models"]:
        c = row["config"]
        lines.append(
            f"| {c['size']} | {c['backend']} | {c['precision']} | {c['batch']} | {_fmt(row['fps'])} | "
            f"{_fmt(row['ms_p50'])} | {_fmt(row['ms_p95'])} | {_fmt(c.get('tflops'), 3)} |"
        )
    return lines


def stage_table(result: dict[str, Any]) -> list[str]:
    lines = ["| size | stage | detail | fps | ms/frame p50 | CPU % |", "|---|---|---|---|---|---|"]
    for row in result["stages"] + result["naive_baseline"] + result["end_to_end"]:
        c = row["config"]
        if row["stage"] in ("end-to-end", "naive-baseline"):
            detail = f"{c['backend']} {c['precision']} b{c['batch']}" + (
                f", x264 {c['preset']}" if c.get("preset") else ""
            )
        else:
            detail = (
                c.get("preset")
                or c.get("decoder")
                or c.get("colour_convert")
                or (f"batch {c['batch']}" if "batch" in c else "")
            )
        lines.append(
            f"| {c.get('size', '')} | {row['stage']} | {detail} | {_fmt(row['fps'])} | {_fmt(row['ms_p50'])} | "
            f"{_fmt(row['cpu_percent'], 0)} |"
        )
    return lines


def summary_lines(result: dict[str, Any]) -> list[str]:
    device = result["environment"]["device"]["name"]
    lines = [f"device: {device}; git {str(result['environment'].get('git_sha'))[:10]}; {result['environment']['date']}"]
    for size, s in result["summary"].items():
        best = s["best_model"]
        lines.append(
            f"{size}: best model {best['backend']} {best['precision']} b{best['batch']} {best['fps']:.1f} fps; "
            f"end-to-end {s['end_to_end_fps']:.1f} fps ({100 * (s['end_to_end_vs_model'] or 0):.0f}% of model); "
            f"slowest stage {s['slowest_stage']} {s['slowest_stage_fps']:.1f} fps, "
            f"bottleneck ratio {_fmt(s['bottleneck_ratio'], 2)}; "
            f"{_fmt(s['speedup_vs_naive'], 2)}x naive; " + _roofline(s)
        )
        if s.get("onnxruntime_vs_torch"):
            ratios = ", ".join(f"batch {b}: {r:.2f}x" for b, r in s["onnxruntime_vs_torch"].items())
            lines.append(f"{size}: onnxruntime vs torch fp32 ({ratios})")
    for row in result["end_to_end"]:
        c = row["config"]
        if c.get("end_to_end_vs_model"):
            lines.append(
                f"{c['size']}: end-to-end {c['backend']} {c['precision']} b{c['batch']}: {row['fps']:.1f} fps = "
                f"{100 * c['end_to_end_vs_model']:.0f}% of its model-only {c['model_fps_same_config']:.1f} fps"
            )
    for size, row in (result.get("paper_check") or {}).items():
        if row.get("ratio") is None:
            lines.append(
                f"paper check {size}px: feed-forward {row['feed_forward_ms']:.1f} ms; "
                f"Gatys not measured ({row.get('note', 'no time left after its start-up')})"
            )
        else:
            lines.append(
                f"paper check {size}px: feed-forward {row['feed_forward_ms']:.1f} ms vs Gatys 500 steps "
                f"{row['gatys_500_steps_s']:.1f} s ({row['ratio']:.0f}x; "
                f"{row['gatys_steps_measured']} steps measured)"
            )
    lines += [f"skipped: {reason}" for reason in result.get("skipped", [])]
    return lines


def _roofline(summary: dict[str, Any]) -> str:
    peak = summary["stated_peak_tflops"] or summary["measured_peak_tflops"]
    kind = summary.get("peak_precision", "")
    if summary["roofline_fraction"] is None:
        return f"roofline not reported ({kind} peak {_fmt(peak, 2)} TFLOP/s)"
    return (
        f"roofline {100 * summary['roofline_fraction']:.1f}% of {_fmt(peak, 2)} TFLOP/s{f' ({kind})' if kind else ''}"
    )


def markdown(results: list[dict[str, Any]]) -> str:
    parts = []
    for result in results:
        parts += [
            "",
            *(f"- {line}" for line in summary_lines(result)),
            "",
            *model_table(result),
            "",
            *stage_table(result),
        ]
    return "\n".join(parts).strip() + "\n"


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    series: dict[str, list[tuple[int, float]]] = {}
    for result in results:  # one line per device/backend/precision/batch, across files and sizes
        device = result["environment"]["device"]["name"][:24]
        for row in result["models"]:
            c = row["config"]
            series.setdefault(f"{device} {c['backend']} {c['precision']} b{c['batch']}", []).append(
                (c["height"] * c["width"], row["fps"])
            )
    for key, points in series.items():
        points.sort()
        left.plot([p[0] / 1e6 for p in points], [p[1] for p in points], marker="o", label=key)
    last = results[-1]
    size = list(last["summary"])[-1]
    rows = [r for r in last["stages"] + last["end_to_end"] if r["config"].get("size") == size]
    labels = [
        f"{r['stage']} {r['config'].get('preset') or r['config'].get('decoder') or ''}"
        + (f" ({r['config']['backend']})" if r["stage"] == "end-to-end" else "")
        for r in rows
    ]
    right.barh(labels, [r["fps"] for r in rows])
    right.set_title(f"stages at {size} ({last['environment']['device']['name'][:24]})")
    left.set_xlabel("megapixels per frame")
    left.set_ylabel("model fps")
    left.set_yscale("log")
    left.legend(fontsize=7)
    right.set_xlabel("fps")
    right.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report")
    parser.add_argument("json", nargs="+")
    parser.add_argument("--md", help="write the markdown here (default: print)")
    parser.add_argument("--png", help="write a plot here (needs matplotlib: pip install 'vidstyle[plot]')")
    args = parser.parse_args(argv)
    results = [json.loads(Path(p).read_text()) for p in args.json]
    text = markdown(results)
    if args.md:
        Path(args.md).write_text(text)
    else:
        print(text)
    if args.png:
        plot(results, Path(args.png))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
