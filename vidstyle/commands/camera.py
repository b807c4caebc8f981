"""vidstyle camera"""

from __future__ import annotations

import argparse
import logging

from .common import add_runtime_arguments, add_style_arguments, positive_int

EXAMPLES = (
    "vidstyle camera                                   # default camera, bundled style, a window",
    "vidstyle camera --models a.safetensors,b.safetensors --max-side 480     # n/p switch styles",
    "vidstyle camera --source clip.mp4 --display off --record live.mp4 --stats-json stats.json   # played in real time",
    "vidstyle camera --source clip.mp4 --no-realtime --display off --record all.mp4"
    "   # every frame, as fast as it goes",
    "vidstyle camera --display off --virtual-cam       # feed video calls (needs pyvirtualcam)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", default="0", help="camera index, /dev/videoN, rtsp://... URL, or a video file (default 0)"
    )
    add_runtime_arguments(parser, max_side_default=480, backend=True, live=True)
    add_style_arguments(parser)
    parser.add_argument(
        "--models",
        help="comma-separated models to switch between with n/p (default: --model alone; "
        "a multi-style model adds each of its styles, and m fades between them)",
    )
    parser.add_argument(
        "--display",
        default="auto",
        choices=["auto", "on", "off"],
        help="a window: auto shows one where OpenCV's GUI build and a display exist, on insists, "
        "off never (default auto)",
    )
    parser.add_argument("--virtual-cam", action="store_true", help="send frames to a virtual camera (pyvirtualcam)")
    parser.add_argument("--record", metavar="OUT.mp4", help="also record the stylized stream")
    parser.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a file source plays at its own timestamps, late frames dropped and counted; "
        "--no-realtime processes every frame as fast as it can",
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        metavar="N",
        help="stop after N captured frames (default: until the source ends or q)",
    )
    parser.add_argument("--stats-json", metavar="PATH", help="write fps, latency p50/p95 and drops here at exit")


def run(args: argparse.Namespace) -> int:
    from vidstyle.live.window import display_problem, open_window

    # The window opens before vidstyle.live.session (and through it PyAV) is imported: with PyAV
    # loaded first, OpenCV's Qt hangs creating it (vidstyle.live.window.open_window says why).
    # run_camera makes the same choice again and reuses this window.
    if args.display != "off" and display_problem() is None:
        open_window()
    from vidstyle.live.session import run_camera
    from vidstyle.live.styles import load_styles
    from vidstyle.stylemix import StyleChoice

    models = [path.strip() for path in args.models.split(",")] if args.models else [args.model]
    summary = run_camera(
        args.source,
        lambda: load_styles(
            models,
            backend=args.backend,
            device=args.device,
            precision=args.precision,
            max_side=args.max_side,
            choice=StyleChoice(style=args.style, mix=args.style_mix),
        ),
        display=args.display,
        record=args.record,
        virtual_cam=args.virtual_cam,
        realtime=args.realtime,
        max_frames=args.frames,
        stats_json=args.stats_json,
        overwrite=args.overwrite,
        inputs=models,
    )
    logging.getLogger("vidstyle").info(
        "%d frames shown, %d dropped as late, %.1f fps, latency p50 %.0f ms p95 %.0f ms",
        summary["frames_displayed"],
        summary["frames_dropped"],
        summary["fps"],
        summary["latency_ms_p50"],
        summary["latency_ms_p95"],
    )
    return 0
