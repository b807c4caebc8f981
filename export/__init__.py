"""Export side of vidstyle (installed as `vidstyle.export`): ONNX and TensorRT, each self-checking."""
