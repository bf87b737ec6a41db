"""REST API v1 for cases: intake, the scoped list, one case with its timeline, every action, ratings."""
