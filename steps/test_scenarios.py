"""The only binding of the features: every scenario of features/ becomes a test here.

Step definitions come from the modules the hanota plugin loads (``hanota.conformance.plugin.STEP_MODULES``).
"""

from pytest_bdd import scenarios

scenarios("../features")
