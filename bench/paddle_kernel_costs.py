"""What a Paddle port's attention and Linear layers cost on CPU, kernel by kernel (issue 16's encoder row).

    python bench/paddle_kernel_costs.py [--repeat 7] [--calls 200]

Two measured causes of the gap between porter's Paddle port of torch.nn.TransformerEncoder and
paddle.nn.TransformerEncoder, each timed against its alternative in the same process, interleaved:

1. Views. Paddle 3 returns views from transpose / squeeze / indexing. The exporter's attention reshapes such
   views ([seq, batch * heads, dim] transposed, then reshaped to [batch, heads, seq, dim]); the reshaped view
   has a size-1 axis with a non-unit stride, and matmul copies it element by element. Timed: matmul on that
   view; on the same values copied before the reshape (what porter writes now: `.contiguous()`); on the
   hand-written layer's view (reshape of a contiguous projection, then transpose).
2. Linear layout. porter's Paddle Linear holds torch's [out, in] weight (`paddle.compat.nn.Linear`), so a
   torch checkpoint loads as it is; paddle.nn.Linear holds [in, out]. Timed: both layers, and the kernels
   under them (matmul with transpose_y, matmul, the fused linear).

The shapes are the encoder's: batch 1, sequence 64, d_model 256, 4 heads, feed-forward 1024.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _mean_us(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def interleaved_us(fns: dict, repeat: int, calls: int) -> dict:
    """Median microseconds per call; each round times every callable once (`calls` calls), rotating order."""
    names = list(fns)
    for fn in fns.values():
        fn()
    times = {name: [] for name in names}
    for round_ in range(repeat):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            times[name].append(_mean_us(fns[name], calls))
    return {name: statistics.median(ts) for name, ts in times.items()}


def view_costs(repeat: int, calls: int) -> dict:
    import paddle

    rng = np.random.default_rng(0)
    seq, heads, dim = 64, 4, 64
    probs = paddle.to_tensor(rng.random((1, heads, seq, seq), dtype=np.float32))
    packed = paddle.to_tensor(rng.standard_normal((seq, 1, 3, heads * dim), dtype=np.float32))
    per_head = paddle.transpose(paddle.reshape(packed[:, :, 2], [seq, heads, dim]), [1, 0, 2])
    view = paddle.reshape(per_head, [1, heads, seq, dim])  # the exporter's value, as Paddle reshapes a view
    copied = paddle.reshape(per_head.contiguous(), [1, heads, seq, dim])
    projection = paddle.to_tensor(rng.standard_normal((1, seq, heads * dim), dtype=np.float32))
    hand = paddle.transpose(paddle.reshape(projection, [1, seq, heads, dim]), [0, 2, 1, 3])
    assert np.array_equal(view.numpy(), copied.numpy())
    with paddle.no_grad():
        return interleaved_us(
            {
                "matmul on the reshaped view": lambda: paddle.matmul(probs, view),
                "matmul, copied before the reshape": lambda: paddle.matmul(probs, copied),
                "copy before the reshape + matmul": lambda: paddle.matmul(
                    probs, paddle.reshape(per_head.contiguous(), [1, heads, seq, dim])
                ),
                "matmul on the hand-written layer's view": lambda: paddle.matmul(probs, hand),
            },
            repeat,
            calls,
        )


def linear_costs(repeat: int, calls: int) -> dict:
    import paddle
    from paddle import _C_ops

    x = paddle.to_tensor(np.random.default_rng(0).standard_normal((1, 64, 256), dtype=np.float32))
    torch_layout = paddle.compat.nn.Linear(256, 1024)
    paddle_layout = paddle.nn.Linear(256, 1024)
    with paddle.no_grad():
        return interleaved_us(
            {
                "paddle.compat.nn.Linear ([out, in])": lambda: torch_layout(x),
                "paddle.nn.Linear ([in, out])": lambda: paddle_layout(x),
                "kernel: matmul(transpose_y=True)": lambda: _C_ops.matmul(x, torch_layout.weight, False, True),
                "kernel: matmul": lambda: _C_ops.matmul(x, paddle_layout.weight, False, False),
                "kernel: fused linear": lambda: _C_ops.linear(x, paddle_layout.weight, paddle_layout.bias),
            },
            repeat,
            calls,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds (median)")
    parser.add_argument("--calls", type=int, default=200, help="calls per timing")
    args = parser.parse_args()
    print(f"median of {args.repeat} interleaved rounds of {args.calls} calls; load {os.getloadavg()[0]:.1f}")
    for title, costs in (("views", view_costs), ("Linear layout", linear_costs)):
        print(f"\n| {title} | us per call |\n|---|---|")
        for name, us in costs(args.repeat, args.calls).items():
            print(f"| {name} | {us:.1f} |")


if __name__ == "__main__":
    main()
