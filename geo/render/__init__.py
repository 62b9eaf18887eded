"""Server-side map rendering (matplotlib, Agg): snapshots in PNG, SVG and PDF for briefings."""
