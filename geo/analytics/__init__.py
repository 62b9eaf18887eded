"""Analytics on the event layer: summaries, exposure, grids, rasters and time series."""
