"""Root conftest of the checkout: loads the hanota plugin (which loads the step definitions), so
``pytest steps/test_scenarios.py`` runs the scenarios here as ``hanota run`` does anywhere."""

pytest_plugins = ["hanota.conformance.plugin"]
