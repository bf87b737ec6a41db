"""Management commands of the geo app."""
