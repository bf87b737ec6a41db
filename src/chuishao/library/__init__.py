"""The exemplary-case library: good practice written up by organisations, reviewed before publication and
searchable in Chinese."""
