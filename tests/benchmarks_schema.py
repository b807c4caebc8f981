"""The keys every benchmark JSON carries (documented in README's benchmark section)."""

REQUIRED_TIMING_KEYS = {"stage", "fps", "ms_p50", "ms_p95", "frames", "config", "cpu_percent", "peak_gpu_mb"}
REQUIRED_SUMMARY_KEYS = {
    "best_model",
    "end_to_end_fps",
    "slowest_stage",
    "slowest_stage_fps",
    "bottleneck_ratio",
    "speedup_vs_naive",
    "achieved_tflops",
    "measured_peak_tflops",
    "roofline_fraction",
}
