"""Scenarios: data generators, the scenario file schema and its validation."""

from gradstep.scenarios.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    list_presets,
    load_scenario,
    presets_dir,
)

__all__ = ["DEFAULT_SCENARIO", "Scenario", "list_presets", "load_scenario", "presets_dir"]
