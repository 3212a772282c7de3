"""The PaddlePaddle registry; family modules register into it with `@op(...)`."""

from porter.registry import Registry

REGISTRY = Registry("paddle")
op = REGISTRY.register
