"""hanota: the conformance test suite for over-the-air firmware updates of GB smart-metering
HAN devices (IHD, PPMID), SECMP0007.

One import name for the whole tool: ``hanota.protocol`` (the wire formats), ``hanota.conformance``
(harness, reference models, CLI, report), ``hanota.steps`` (the step definitions) and the feature
files in ``hanota/features``. In the repository these are the top-level folders ``protocol/``,
``conformance/``, ``steps/`` and ``features/``; the build maps them under ``hanota``
(``package-dir`` in pyproject.toml) and, in a checkout, this folder links to them.
"""

from hanota.conformance import __version__

__all__ = ["__version__"]
