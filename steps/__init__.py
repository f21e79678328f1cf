"""Thin step definitions binding features/ to the harness and codec."""
