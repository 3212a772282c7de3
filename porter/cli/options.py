"""Click options shared by commands that live outside porter.cli (`porter weights` in porter.weights):
only click and what parses the values, so `porter convert` can use them without importing those modules."""

from __future__ import annotations

import click

from porter.codegen.shards import parse_size


def _size(ctx, param, value):
    try:
        return None if value is None else parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


MAX_SHARD_SIZE_OPTION = click.option(
    "--max-shard-size",
    callback=_size,
    metavar="SIZE",
    help="Write the weights as shards of at most SIZE (2GB, 500MB, 1GiB) plus an index json, as Hugging Face "
    "checkpoints ship; model.py's load_model() follows the index. A tensor larger than SIZE is a shard alone.",
)
