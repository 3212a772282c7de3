"""The terminal tables of validate / report / kernels show hostile names, never obey or choke on them."""

from rich.console import Console

from porter.validators.terminal import print_kernels, print_training, print_validate

NAME = "y[/]\x1b[2J[bold]"


def _validate_result():
    output = {"name": NAME, "passed": True, "reason": "within \x1b[31mtolerance", "metrics": {"max_abs": 0.0}}
    return {
        "sets": [{"label": "set[/]0", "inputs": [{"dtype": "float32", "shape": [2]}], "outputs": [output]}],
        "layerwise": {"input_set": "[/]", "conclusion": "[/]", "rows": [
            {"depth": 0, "node": NAME, "value": "v", "op_type": "[/]",
             "free": {"passed": True, "scaled_error": 0.0}, "forced": {"passed": True, "scaled_error": "[/]"}}]},
        "golden": "[/]", "profile": {"name": "[/]"}, "passed": True, "target": "paddle", "device": "cpu\x1b[2J",
    }  # fmt: skip


def test_validate_tables_show_markup_and_control_characters_literally():
    console = Console(record=True, width=300, color_system=None)
    print_validate(_validate_result(), console)  # raised MarkupError on the "[/]" before
    shown = console.export_text()
    assert "\x1b" not in shown
    assert "y[/]\\x1b[2J[bold]" in shown and "set[/]0" in shown


def test_kernels_table_shows_markup_literally():
    cell = {"cases": 2, "passed": 1, "worst_scaled_error": 0.5}
    result = {"target": "paddle", "device": "[/]", "profile": {"name": "cpu"}, "dtypes": ["float32"],
              "table": {"Op[/]": {"float32": cell}, "Other": {"float32": {"cases": 0, "status": "[/]"}}}}  # fmt: skip
    console = Console(record=True, width=200, color_system=None)
    print_kernels(result, console)
    shown = console.export_text()
    assert "Op[/]" in shown and "1/2" in shown


def test_training_table_shows_names_literally_and_the_worst_gradients_first():
    grads = [
        {"parameter": f"p{i}", "port": f"q{i}", "passed": True, "max_abs": 0.0, "rel": i * 1e-6} for i in range(12)
    ]
    grads.append({"parameter": NAME, "port": "[/]", "passed": False, "reason": "the port has no gradient for it"})
    result = {
        "steps": 1, "lr": 1e-3, "loss": "mean", "device": "cpu", "target": "paddle", "passed": False,
        "rows": [{"step": 1, "torch": 1.0, "port": 1.5, "rel": 0.5, "passed": False}],
        "gradients": grads, "unmapped": ["a[/]b"], "criteria": {"loss_rtol": 1e-4, "grad_rtol": 1e-4},
    }  # fmt: skip
    console = Console(record=True, width=300, color_system=None)
    print_training(result, console)
    shown = console.export_text()
    assert "\x1b" not in shown and "y[/]\\x1b[2J[bold]" in shown and "a[/]b: learns in PyTorch" in shown
    assert shown.index("y[/]") < shown.index("p11") and "p0 " not in shown  # failures, then the worst 10
    assert "validate --train: FAIL (paddle on cpu)" in shown
