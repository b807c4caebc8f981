"""gpu_check's checks that need more than torch: PyAV (stages and end to end, NVDEC),
onnxruntime's CUDA build and ONNX export, TensorRT. Each skips, with the reason, where its
packages or the GPU are missing."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import torch

from gpu_check_common import Fail, Skip, frames, ms_per_batch, needs, needs_cuda, psnr_db
from vidstyle.context import resolve_context


def _model() -> Any:
    """The net as a StyleModel (what export and stylize take): the bundled one."""
    needs("safetensors")
    from vidstyle.modelfile import load_model

    return load_model(None)


def _clip(folder: Path, count: int, height: int, width: int) -> Path:
    av = needs("av", " (PyAV; README, GPU check, says how to bring its wheel)")
    path = folder / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"preset": "ultrafast", "crf": "12"}
        for i, pixels in enumerate(frames(count, height, width)):
            frame = av.VideoFrame.from_ndarray(pixels.numpy(), format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _sizes() -> tuple[int, int, int]:
    return (120, 1080, 1920) if torch.cuda.is_available() else (16, 36, 64)


def check_stages_and_end_to_end() -> dict[str, Any]:
    """Decode, model (with transfers) and encode fps one by one, then `stylize` end to end with
    the pipeline's overlap on and the same parts run serially; the rates are marginal (a long
    run less a short one), so opening costs cancel."""
    needs("av", " (PyAV; README, GPU check, says how to bring its wheel)")
    needs("numpy")
    model = _model()
    from vidstyle.jobs.video_options import Encoding, Runtime, VideoOptions
    from vidstyle.jobs.video_plan import plan_video
    from vidstyle.jobs.video_run import open_video, run_video
    from vidstyle.media.decode import DecodeStats, read_batches
    from vidstyle.media.encode import VideoWriter
    from vidstyle.media.options import EncodeOptions, Trim

    cuda = torch.cuda.is_available()
    count, height, width = _sizes()
    device, precision, batch = ("cuda", "fp16", 8) if cuda else ("cpu", "fp32", 4)
    short = count // 4
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        clip = _clip(Path(tmp), count, height, width)

        def plan(frames_kept: int) -> Any:
            options = VideoOptions(
                model=model,
                runtime=Runtime(device=device, precision=precision, batch=batch),
                encode=Encoding(preset="veryfast", audio=False),
                trim=Trim(max_frames=frames_kept),
            )
            return plan_video(clip, Path(tmp) / "out.mp4", options)

        def seconds(frames_kept: int, overlap: bool) -> float:
            job = plan(frames_kept)
            started = time.perf_counter()
            with open_video(job, []) as session:
                if overlap:
                    run_video(job, session, DecodeStats(), progress=False)
                else:
                    for item in read_batches(job.input, job.options.runtime.batch, trim=job.options.trim):
                        session.writer.write(item.with_data(session.stylizer(item.data)))
                    session.writer.close()
                if session.writer.frames_written != frames_kept:
                    raise Fail(f"wrote {session.writer.frames_written} of {frames_kept} frames")
            return time.perf_counter() - started

        decoded = list(read_batches(clip, batch))
        stage = {"decode": _rate(lambda: sum(len(b) for b in read_batches(clip, batch)))}
        from vidstyle.backends.torch_backend import TorchBackend
        from vidstyle.stylizer import FrameStylizer

        ctx = resolve_context(device, precision)
        with TorchBackend(model.net, ctx) as backend:
            stylizer = FrameStylizer(backend, ctx)
            list(stylizer.stream(decoded[:2], lambda b: (b.data, "rgb24", None)))
            stylized: list[Any] = []

            def stylize_all() -> int:
                stylized.extend(stylizer.stream(decoded, lambda b: (b.data, "rgb24", None)))
                return sum(len(pixels) for _, pixels in stylized)

            stage["model+transfers"] = _rate(stylize_all)

        def encode() -> int:
            writer = VideoWriter(
                Path(tmp) / "enc.mp4",
                EncodeOptions(width=width, height=height, time_base=Fraction(1, 25), preset="veryfast"),
            )
            for item, pixels in stylized:
                writer.write(item.with_data(pixels))
            writer.close()
            return writer.frames_written

        stage["encode"] = _rate(encode)
        rates: dict[str, list[float]] = {"on": [], "off": []}
        for overlap in (True, False, True, False):
            long_run, short_run = seconds(count, overlap), seconds(short, overlap)
            # A busy machine can make the short run the slower one: then the whole run's rate.
            rates["on" if overlap else "off"].append(
                (count - short) / (long_run - short_run) if long_run > short_run else count / long_run
            )
    on, off = max(rates["on"]), max(rates["off"])
    slowest = min(stage.values())
    result = {
        "size": f"{width}x{height}",
        "precision": precision,
        "batch": batch,
        "stage_fps": stage,
        "end_to_end_fps": {"overlap_on": rates["on"], "overlap_off": rates["off"]},
        "end_to_end_vs_slowest_stage": on / slowest,
        "overlap_speedup": on / off,
    }
    if cuda and on < 0.9 * slowest:
        raise Fail(f"end to end {on:.0f} fps is under 0.9x the slowest stage ({slowest:.0f} fps): {result}")
    if cuda and on <= off:
        raise Fail(f"the overlap ({on:.0f} fps) is not faster than serial ({off:.0f} fps)")
    return result


def _rate(run: Callable[[], int]) -> float:
    started = time.perf_counter()
    done = run()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return done / (time.perf_counter() - started)


def check_nvdec() -> dict[str, Any]:
    needs_cuda()
    av = needs("av", " (PyAV)")
    if "h264_cuvid" not in av.codecs_available:
        raise Skip("this FFmpeg build has no h264_cuvid decoder (NVDEC)")
    from vidstyle.media.decode import read_batches

    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        clip = _clip(Path(tmp), 60, 1080, 1920)
        software = torch.cat([b.data for b in read_batches(clip, 8)])
        started = time.perf_counter()
        nvdec = torch.cat([b.data for b in read_batches(clip, 8, decoder="h264_cuvid")])
        fps = len(nvdec) / (time.perf_counter() - started)
    if nvdec.shape != software.shape:
        raise Fail(f"NVDEC gave {tuple(nvdec.shape)}, software {tuple(software.shape)}")
    db = psnr_db(software.float() / 255, nvdec.float() / 255)
    if db < 40:
        raise Fail(f"NVDEC frames differ from software decoding: PSNR {db:.1f} dB")
    return {"fps": fps, "psnr_vs_software_db": db}


def check_onnxruntime_cuda() -> dict[str, Any]:
    needs_cuda()
    needs("onnxruntime", " (onnxruntime-gpu)")
    from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend, onnxruntime_cuda_problem

    problem = onnxruntime_cuda_problem()
    if problem:
        raise Skip(problem)
    needs("onnx")
    model = _model()
    from vidstyle.export.onnx import export_onnx

    images = frames(4, 720, 1280).permute(0, 3, 1, 2).float().div(255)
    with torch.no_grad():
        expected = model.net.eval()(images[:1])
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        for precision in ("fp32", "fp16"):
            path = Path(tmp) / f"m.{precision}.onnx"
            export_onnx(model, path, fp16=precision == "fp16")
            with OnnxRuntimeBackend(path, resolve_context("cuda", "fp32")) as backend:
                db = psnr_db(expected, backend.run(images[:1].cuda()).cpu())
                result[precision] = {"psnr_db": db, "fps_720p_batch4": _backend_fps(backend, images.cuda())}
            if db < (40 if precision == "fp32" else 35):
                raise Fail(f"onnxruntime CUDA {precision} PSNR {db:.1f} dB against torch on the CPU")
    return result


def _backend_fps(backend: Any, images: torch.Tensor) -> float:
    return 1000 * images.shape[0] / ms_per_batch(backend, images)


def check_tensorrt() -> dict[str, Any]:
    """An fp16 engine built through the engine cache (its parity against torch is part of the
    build), found in the cache the second time, and its 1080p fps."""
    needs_cuda()
    from vidstyle.backends.tensorrt_backend import TensorRTBackend, device_identity, tensorrt_available

    if not tensorrt_available():
        raise Skip("needs TensorRT (pip install 'vidstyle[gpu]')")
    needs("onnx")
    import tensorrt as trt

    model = _model()
    from vidstyle.export.engine_cache import cached_engine
    from vidstyle.export.onnx import export_onnx

    # The small minimum takes the build's parity check (the sample picture scaled into the largest shape).
    shapes = ((1, 3, 16, 16), (8, 3, 1080, 1920), (8, 3, 1080, 1920))
    _, capability = device_identity(torch.device("cuda"))
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        graph = Path(tmp) / "m.fp16.onnx"
        export_onnx(model, graph, fp16=True)
        here = dict(
            precision="fp16",
            tensorrt_version=trt.__version__,
            compute_capability=capability,
            shapes=shapes,
            cache_dir=Path(tmp) / "cache",
        )
        started = time.perf_counter()
        path, hit = cached_engine(graph, model, **here)  # type: ignore[arg-type]
        build_seconds = time.perf_counter() - started
        again, second_hit = cached_engine(graph, model, **here)  # type: ignore[arg-type]
        if hit or not second_hit or again != path:
            raise Fail(f"engine cache: first lookup hit={hit}, second hit={second_hit}")
        images = frames(8, 1080, 1920).permute(0, 3, 1, 2).float().div(255).cuda()
        with torch.no_grad():
            expected = model.net.eval().cuda()(images)
        with TensorRTBackend.from_file(path, resolve_context("cuda", "fp16"), precision="fp16") as backend:
            backend.prepare(tuple(images.shape))  # type: ignore[arg-type]
            db = psnr_db(expected, backend.run(images))
            fps = _backend_fps(backend, images)
            with_graph = backend.cuda_graph
    if db < 40:
        raise Fail(f"TensorRT fp16 PSNR {db:.1f} dB against torch fp32 at 1080p")
    return {"build_seconds": build_seconds, "fps_1080p_fp16_batch8": fps, "cuda_graph": with_graph, "psnr_db": db}


MEDIA_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "stages_and_end_to_end": check_stages_and_end_to_end,
    "nvdec_h264_cuvid": check_nvdec,
    "onnxruntime_cuda": check_onnxruntime_cuda,
    "tensorrt_build_parity_cache": check_tensorrt,
}
