"""`porter check`: the CI parity gate over the models listed in pyproject.toml ([tool.porter]) or porter.toml."""

from porter.check.config import CheckConfig, ConfigError, WorkItem, load_config
from porter.check.run import CheckRun, run_check

__all__ = ["CheckConfig", "CheckRun", "ConfigError", "WorkItem", "load_config", "run_check"]
