"""Scenarios: data generators, the scenario file schema and its validation."""
