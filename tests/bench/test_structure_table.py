"""bench/structure_table.py's key comparison: torch's state_dict keys against a port's, up to the names each
framework's own layers give their tensors (docs/structure.md)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "structure_table.py"


def _table():
    spec = importlib.util.spec_from_file_location("structure_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_batch_norm_keys_compare_through_each_frameworks_names():
    table = _table()
    paddle = {"bn.weight": 0, "bn.bias": 0, "bn._mean": 0, "bn._variance": 0}
    mindspore = {"bn.gamma": 0, "bn.beta": 0, "bn.moving_mean": 0, "bn.moving_variance": 0}
    torch_keys = ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    for target, got in (("paddle", paddle), ("mindspore", mindspore)):
        ported = [table._port_key(key, got, table.FRAMEWORK_NAMES[target]) for key in torch_keys]
        assert ported[:4] == list(got) and ported[4] is None  # num_batches_tracked: no counterpart
    # a key the port lacks stays torch's, so the comparison reports it missing
    assert table._port_key("conv.weight", paddle, table.PADDLE_NAMES) == "conv.weight"
