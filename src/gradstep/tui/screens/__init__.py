"""Modal screens: help, the scenario picker, the value editor and the settings form."""
