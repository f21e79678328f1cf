"""The only binding of the features: every scenario of features/ becomes a test here.

Step definitions come from the modules the root conftest lists in ``pytest_plugins``.
"""

from pytest_bdd import scenarios

scenarios("../features")
