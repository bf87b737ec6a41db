"""``import_geo``: boundaries from a GeoJSON file."""
