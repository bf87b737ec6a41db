"""Selection campaigns: units recommend candidates with their deeds, reviewers score blind against the
criteria, a shortlist, a public notice with objections answered, and the announcement."""
