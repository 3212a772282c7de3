"""Numeric validation: run the generated model and references in separate processes and compare."""
