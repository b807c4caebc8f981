"""vidstyle serve"""

from __future__ import annotations

import argparse

from .common import add_runtime_arguments, add_style_arguments, positive_int

EXAMPLES = (
    "vidstyle serve                                    # http://127.0.0.1:8765/, the browser's webcam, bundled style",
    "vidstyle serve --model mosaic.safetensors --max-side 480 --device cuda",
    "vidstyle serve --source 0                         # the page watches the server's own camera 0",
    "vidstyle serve --host 0.0.0.0 --certfile cert.pem --keyfile key.pem   # prints a URL with a one-time token",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; any other needs the printed token)"
    )
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    parser.add_argument(
        "--source",
        help="watch a camera index, /dev/videoN, URL or video file on the server instead of the browser's webcam",
    )
    add_runtime_arguments(parser, max_side_default=480, backend=True, live=True)
    add_style_arguments(parser)
    parser.add_argument(
        "--certfile",
        metavar="PEM",
        help="serve HTTPS with this certificate (browsers need https for the camera off localhost)",
    )
    parser.add_argument("--keyfile", metavar="PEM", help="the certificate's private key")
    parser.add_argument("--max-viewers", type=positive_int, default=4, help="open peer connections at most (default 4)")
    parser.add_argument(
        "--max-frame-side",
        type=positive_int,
        default=1920,
        metavar="PIXELS",
        help="refuse camera frames with a longer side (default 1920)",
    )


def check_inputs(args: argparse.Namespace) -> None:
    """Bad input fails in one line before anything slow or chatty (the default model, the precision probe)."""
    from vidstyle.errors import VidstyleError

    if not 0 <= args.port <= 65535:
        raise VidstyleError(f"--port must be 0..65535, got {args.port}")
    try:
        from vidstyle.serve.server import check_source, check_tls
    except ImportError as exc:
        raise VidstyleError(
            f"vidstyle serve needs aiortc and aiohttp ({exc.name} is missing): pip install 'vidstyle[serve]'"
        ) from None
    args.tls_context = check_tls(args.certfile, args.keyfile)  # read once here; run serves with it
    if args.source is not None:
        check_source(args.source)


def run(args: argparse.Namespace) -> int:
    from vidstyle.serve.app import ServeLimits
    from vidstyle.serve.server import load_served_model, serve
    from vidstyle.stylemix import StyleChoice

    stylizer, info = load_served_model(
        args.model,
        backend=args.backend,
        device=args.device,
        precision=args.precision,
        max_side=args.max_side,
        choice=StyleChoice(style=args.style, mix=args.style_mix),
    )
    limits = ServeLimits(max_viewers=args.max_viewers, max_frame_side=args.max_frame_side)
    serve(stylizer, host=args.host, port=args.port, limits=limits, tls=args.tls_context, info=info, source=args.source)
    return 0
