"""Features for clients: the fast layer index, GeoJSON encoding and file export."""
