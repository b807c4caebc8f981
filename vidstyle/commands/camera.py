"""vidstyle camera"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from typing import Any

from .common import positive_int

EXAMPLES = (
    "vidstyle camera                                   # default camera, bundled style, a window",
    "vidstyle camera --models a.safetensors,b.safetensors --max-side 480     # n/p switch styles",
    "vidstyle camera --source clip.mp4 --realtime --display none --record live.mp4 --stats-json stats.json",
    "vidstyle camera --display none --virtual-cam      # feed video calls (needs pyvirtualcam)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", default="0", help="camera index, /dev/videoN, rtsp://... URL, or a video file (default 0)")
    parser.add_argument("--model", help="a .safetensors style model (default: the bundled style)")
    parser.add_argument("--models", help="comma-separated models to switch between with n/p")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnxruntime", "tensorrt"])
    parser.add_argument("--engine", help="ONNX/engine file for --backend onnxruntime/tensorrt (one model)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "bf16"])
    parser.add_argument("--max-side", type=positive_int, default=480, help="net size limit (default 480; the display keeps the source size)")
    parser.add_argument("--display", default="window", choices=["window", "none"])
    parser.add_argument("--virtual-cam", action="store_true", help="send frames to a virtual camera (pyvirtualcam)")
    parser.add_argument("--record", metavar="OUT.mp4", help="also record the stylized stream")
    parser.add_argument("--realtime", action="store_true", help="pace a file source at its own frame rate, like a camera")
    parser.add_argument("--max-frames", type=positive_int, help="stop after this many captured frames")
    parser.add_argument("--stats-json", metavar="PATH", help="write fps, latency p50/p95 and drops here at exit")
    parser.add_argument("--test-delay-ms", type=float, default=0.0, help=argparse.SUPPRESS)  # slows the model in tests


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import atomic_output, check_output_path
    from vidstyle.camera import LiveStats, LiveStylizer, Recorder, check_display, device_frames, file_frames, is_file_source, run_live, stats_path_ok
    from vidstyle.errors import VidstyleError

    log = logging.getLogger("vidstyle")
    if args.display == "window":
        check_display()
    if args.record:
        check_output_path(args.record)
    stats_path_ok(args.stats_json)
    source = args.source
    if is_file_source(source):
        from vidstyle.media.probe import probe

        probe(source)  # a bad file fails here with one line

        def frames(stop: threading.Event) -> Any:
            return file_frames(source, realtime=args.realtime, stop=stop)
    else:

        def frames(stop: threading.Event) -> Any:
            return device_frames(source, stop=stop)

    stylizer = build_stylizer(args)
    sinks: list[Any] = []
    recorder: Recorder | None = None
    camera: Any = None
    stats = LiveStats()
    window = None
    if args.display == "window":
        from vidstyle.window import WindowDisplay

        window = WindowDisplay(stylizer, stats=lambda: stats)
    last_status = [time.perf_counter()]

    def show(frame: Any) -> bool:
        nonlocal recorder, camera
        height, width = frame.stylized.shape[:2]
        if args.record and recorder is None:
            recorder = Recorder(args.record, width, height)
        if args.virtual_cam and camera is None:
            camera = open_virtual_camera(width, height)
        if recorder is not None:
            recorder.write(frame)
        if camera is not None:
            camera.send(frame.stylized)
        if window is None and time.perf_counter() - last_status[0] > 5.0:
            last_status[0] = time.perf_counter()
            recent = stats.latencies_ms[-50:]
            log.info("%d frames shown, latency p50 %.0f ms", stats.displayed, sorted(recent)[len(recent) // 2] if recent else 0)
        return window(frame) if window is not None else True

    ok = False
    try:
        summary = run_live(frames, stylizer, show, max_frames=args.max_frames, stats=stats, on_idle=window.idle if window is not None else None)
        ok = True
    except KeyboardInterrupt:
        ok = True  # Ctrl-C is a normal way to stop: the recording is kept
        summary = stats.summary(0, stats.displayed)
    finally:
        if recorder is not None:
            recorder.close(ok=ok)
        if camera is not None:
            camera.close()
        if window is not None:
            window.close()
    log.info("%d frames shown, %d dropped, %.1f fps, latency p50 %.0f ms p95 %.0f ms", summary["frames_displayed"], summary["frames_dropped"], summary["fps"], summary["latency_ms_p50"], summary["latency_ms_p95"])
    if args.stats_json:
        with atomic_output(args.stats_json) as tmp:
            tmp.write_text(json.dumps(summary | {"styles": stylizer.names}, indent=2))
    if summary["frames_displayed"] == 0:
        raise VidstyleError(f"no frames came from {source}")
    return 0


def build_stylizer(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from vidstyle.backends import create_backend
    from vidstyle.camera import LiveStylizer
    from vidstyle.context import resolve_context
    from vidstyle.stylizer import FrameStylizer
    from vidstyle.modelfile import load_model

    paths = [p for p in (args.models.split(",") if args.models else [args.model])]
    ctx = resolve_context(args.device, args.precision)
    stylizers, names = [], []
    for path in paths:
        model = load_model(path.strip() if path else None)
        backend = create_backend(args.backend, model, ctx, engine_path=args.engine)
        stylizers.append(FrameStylizer(backend, ctx, max_side=args.max_side))
        names.append(Path(model.source).stem)
    return LiveStylizer(stylizers, names, delay_seconds=args.test_delay_ms / 1000.0)


def open_virtual_camera(width: int, height: int) -> Any:
    from vidstyle.errors import VidstyleError

    try:
        import pyvirtualcam
    except ImportError:
        raise VidstyleError("--virtual-cam needs pyvirtualcam: pip install 'vidstyle[virtualcam]' (and on Linux the v4l2loopback kernel module)") from None
    try:
        return pyvirtualcam.Camera(width=width, height=height, fps=30, fmt=pyvirtualcam.PixelFormat.RGB)
    except RuntimeError as exc:
        raise VidstyleError(f"no virtual camera backend is available: {exc} (on Linux: sudo modprobe v4l2loopback)") from None
