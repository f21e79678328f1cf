"""One module per ``hanota`` subcommand (see ``conformance.cli``)."""
