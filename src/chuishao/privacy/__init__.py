"""Personal data of residents: masking lives with each reader; this app drops it (retention, erasure)
and hands it back (export)."""
