"""Front ends: everything that turns a user's source into an ONNX ModelProto."""

from porter.frontends.onnx_source import load_onnx

__all__ = ["load_onnx"]
