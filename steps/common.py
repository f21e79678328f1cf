"""Shared step definitions and fixtures, loaded for every scenario through the root conftest."""
