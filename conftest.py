"""Root conftest: loads the step definitions (pytest-bdd registers steps only where they are
defined, so shared steps load through ``pytest_plugins``)."""

pytest_plugins = ["steps.common", "steps.device_steps", "steps.dcc_steps"]
