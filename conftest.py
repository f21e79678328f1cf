"""Root conftest: loads the shared step definitions (pytest-bdd registers steps only where they
are defined, so shared steps load through ``pytest_plugins``)."""

pytest_plugins = ["steps.common"]
