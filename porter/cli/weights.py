"""`porter weights`: further checkpoints of a converted architecture through OUT/report.json's map (the work
is porter.weights'; this is its command line)."""

from __future__ import annotations

from pathlib import Path

import click

from porter.cli.app import main
from porter.cli.options import MAX_SHARD_SIZE_OPTION
from porter.cli.shared import ray_option
from porter.weights import convert_checkpoint


@main.command("weights")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.option("--map", "report_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="OUT/report.json of a conversion of this architecture (its weights must be beside it).")  # fmt: skip
@click.option("-o", "--out", "out_path", type=click.Path(path_type=Path), required=True,
              help="The target weights: .npz (what porter's Paddle model.py loads) or .pdparams; .ckpt for MindSpore.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the output (a file, or an index and its shards) if it exists.")
@click.option("--allow-unused", is_flag=True, help="Accept float checkpoint tensors the map does not place.")
@MAX_SHARD_SIZE_OPTION
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes writing output shards (and reading state_dict shards) at once.")  # fmt: skip
@ray_option(
    "Write the output shards as Ray tasks: on a new local Ray instance, or on the cluster at ADDRESS (e.g. auto, "
    "ray://head:10001). On a cluster the checkpoint, the --map conversion and -o must be on storage every node "
    "sees (a shared file system, at the same path): a task that cannot see them fails naming the path and its node. "
    "State_dict shards are still read here, -j at a time. Needs porter-convert[ray]."
)
def weights_command(checkpoint, report_path, out_path, force, allow_unused, max_shard_size, jobs, ray_address):
    """Convert another checkpoint of a converted architecture (a fine-tune) with OUT/report.json's map.

    \b
    CHECKPOINT: a .safetensors; a state_dict .pt/.pth/.bin (torch.load
    weights_only=True, in its own process; a dict holding it under
    "state_dict" or "model" too); or a directory of shards with
    model.safetensors.index.json / pytorch_model.bin.index.json (or that
    index file). Shards are read one tensor at a time, memory-mapped (a
    state_dict shard whole, in its torch process): memory stays within the
    largest shard, not the model. Each tensor is placed by the map
    (transposed where the conversion transposed it) and checked against
    the conversion's shape; constants porter or the exporter made are
    copied from the conversion. Errors, since the result would be wrong:
    a parameter the checkpoint lacks, a tensor the exporter rewrote (a
    BatchNorm folded into a conv), a float tensor the map cannot place
    (unless --allow-unused); an index naming a missing shard, a file
    outside its directory, or a key its shard lacks (exit 2).
    The output is written atomically (with --ray too: the shards appear
    together, the index last); a shard that fails names its file (exit 2).
    To run it, copy OUT's model.py and
    report.json beside it as model.npz / model.ckpt and porter.load() that.

    \b
    Example:
      porter weights finetuned.safetensors --map out/report.json -o tuned/model.npz
      porter weights Qwen2-7B/ --map out/report.json -o tuned/model.npz --max-shard-size 2GB -j 2
      porter weights /shared/Qwen2-72B/ --map /shared/out/report.json \\
          -o /shared/tuned/model.npz --max-shard-size 5GB --ray auto
    """
    summary = convert_checkpoint(
        checkpoint,
        report_path,
        out_path,
        force=force,
        allow_unused=allow_unused,
        max_shard_size=max_shard_size,
        jobs=jobs,
        ray_address=ray_address,
    )
    files = summary["files"]
    where = summary["written"] if len(files) == 1 else f"{len(files) - 1} shards and {files[-1]} in {out_path.parent}"
    click.echo(
        f"wrote {where}: {summary['mapped']} tensors from the checkpoint, "
        f"{len(summary['kept_from_conversion'])} kept from the conversion, {len(summary['unused'])} unused"
    )
    casts: dict[str, int] = {}
    for line in summary["cast"]:
        kind = line.rsplit(": ", 1)[1]
        casts[kind] = casts.get(kind, 0) + 1
    lines = [f"cast {n} tensor(s) {kind}" for kind, n in casts.items()] + summary["notes"]
    unused = summary["unused"]
    if unused:
        lines.append("unused: " + ", ".join(unused[:10]) + (f" (+{len(unused) - 10} more)" if len(unused) > 10 else ""))
    for line in lines:
        click.echo(f"  {line}")
