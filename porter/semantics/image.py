"""The target-neutral reading of Resize and Upsample (op_maps/<target>/image.py): modes, coordinate
transformation, rounding and cubic attributes with their version rules and refusals. How the resampling is
then written (a run-time helper, or a plan made at convert time by porter.semantics.resample_plan) is the
target's."""

from __future__ import annotations

from dataclasses import dataclass

_MODES = ("nearest", "linear", "cubic")
_CTMS = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_crop_and_resize",
)
_NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
_POLICIES = ("stretch", "not_larger", "not_smaller")


@dataclass(frozen=True)
class Coordinates:
    """How Resize maps output positions to input positions and blends them."""

    ctm: str  # coordinate_transformation_mode
    nearest_mode: str
    cubic_a: float
    exclude_outside: int
    extrapolation: float  # tf_crop_and_resize's value outside the region


# Resize before opset 11 and Upsample: asymmetric coordinates, nearest rounds down
UPSAMPLE_COORDINATES = Coordinates("asymmetric", "floor", -0.75, 0, 0.0)


def resize_mode(n) -> str:
    """Resize's interpolation mode: nearest, linear or cubic (opset 11 on); Upsample's before."""
    if n.since < 11:
        return upsample_mode(n)
    mode = n.attr("mode", "nearest")
    if mode not in _MODES:
        n.refuse(f"mode={mode!r} is not an ONNX value")
    return mode


def upsample_mode(n) -> str:
    """Upsample's (and Resize-10's) mode, with Upsample's bilinear as linear."""
    mode = n.attr("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        n.refuse(f"mode={mode!r} is not an ONNX value")
    return "linear" if mode == "bilinear" else mode


def resize_coordinates(n) -> Coordinates:
    """Resize's coordinate attributes (opset 11 on), Upsample's fixed rule before."""
    if n.since < 11:
        return UPSAMPLE_COORDINATES
    coords = Coordinates(
        n.attr("coordinate_transformation_mode", "half_pixel"),
        n.attr("nearest_mode", "round_prefer_floor"),
        float(n.attr("cubic_coeff_a", -0.75)),
        int(n.attr("exclude_outside", 0)),
        float(n.attr("extrapolation_value", 0.0)),
    )
    if coords.ctm not in _CTMS:
        n.refuse(f"coordinate_transformation_mode={coords.ctm!r} is not supported")
    if coords.nearest_mode not in _NEAREST:
        n.refuse(f"nearest_mode={coords.nearest_mode!r} is not an ONNX value")
    return coords


def resize_axes(n) -> tuple[list[int] | None, str]:
    """Resize's (axes or None for all, keep_aspect_ratio_policy): both from opset 18, where antialias (not
    mapped) is refused."""
    if n.since < 18:
        return None, "stretch"
    if n.attr("antialias", 0):
        n.refuse("antialias=1 is not supported")
    axes = n.attr("axes", None)
    policy = n.attr("keep_aspect_ratio_policy", "stretch")
    if policy not in _POLICIES:
        n.refuse(f"keep_aspect_ratio_policy={policy!r} is not an ONNX value")
    return (None if axes is None else [int(a) for a in axes]), policy
