"""The MindSpore registry; family modules register into it with `@op(...)`."""

from porter.registry import Registry

REGISTRY = Registry("mindspore")
op = REGISTRY.register
