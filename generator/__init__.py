"""examsite: build proctored exam sites from YAML and Markdown."""

__version__ = "0.1.0"
