"""Geography for coopmap: loading, validation, joins, aggregation, rasters.

Nothing in this package knows about HTTP: functions take and return GeoDataFrames,
arrays and plain dataclasses.
"""
