"""Bulk downloads: ``/download/{layer}.geojson|.gpkg|.csv|.parquet|.fgb`` with the items filters.

GeoJSON and CSV stream in chunks (constant memory; on PostGIS each chunk of rows is read from
the database as it is sent, ``layers.pushdown``); GeoPackage, GeoParquet and FlatGeobuf are
written to a file once per layer, data version of the caller's view and filter set, into the
download cache (``geo.storage.diskcache``: budget ``Settings.download_cache_mb``, default 256 MB,
least recently used evicted; files under ``MIN_CACHED_BYTES`` are served and dropped, never kept).
A file is opened before the response starts and streamed from the open file, so evicting it
(by any process or role) never breaks a download in progress.
``/download/{layer}.metadata.json`` describes any download (and is the CSV's metadata sidecar).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from flask import Blueprint, Response, request, url_for
from werkzeug.wsgi import wrap_file

from geo.features.export import write_frames
from geo.features.geojson import SYNTHETIC_NOTICE, stream_pages
from geo.storage.diskcache import DiskCache
from layers.selection import Selection, select
from webmap import crs_output, guard, http
from webmap.context import catalogue, settings, store
from webmap.errors import NotFound
from webmap.features import collection_extent, index_cache

bp = Blueprint("downloads", __name__, url_prefix="/download")
http.install(bp)

MEDIA = {
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "gpkg": "application/geopackage+sqlite3",
    "parquet": "application/vnd.apache.parquet",
    "fgb": "application/flatgeobuf",
    "metadata.json": "application/json",
}
FILE_FORMATS = ("gpkg", "parquet", "fgb")
MIN_CACHED_BYTES = 2 * 2**20
"""Files smaller than 2 MB (a filtered query, a small layer) take well under a second to write
again: they are streamed from a temporary file and never stored in the download cache."""


@bp.get("/<filename>")
def download(filename: str) -> Response:
    layer_id, _, ext = filename.partition(".")
    if ext not in MEDIA:
        raise NotFound(
            f"unknown download {filename!r}: use {layer_id}.<ext> with ext one of {sorted(MEDIA)}"
        )
    layer = catalogue().get(layer_id)
    cs = crs_output.requested(request.args, lambda: collection_extent(layer))
    if ext == "csv":
        crs_output.only_crs84(cs, "CSV")
    manifest = store().manifest()
    version = manifest.data_version
    etag = http.etag_for(version)
    modified = http.last_modified(record.updated for record in manifest.layers.values())
    cached = http.not_modified(etag, modified)
    if cached is not None:
        return cached
    selection = select(index_cache(), layer, store(), request.args, guard.fields(layer))
    meta = _metadata(selection, version)
    name = _file_name(layer.id, version, ext)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Coopmap-Data-Version": version,
        "Link": f"<{url_for('.download', filename=f'{layer.id}.metadata.json', **request.args, _external=True)}>;"
        ' rel="describedby"; type="application/json"',
    }
    if "notice" in meta:
        headers["X-Coopmap-Notice"] = meta["notice"]
    if ext == "metadata.json":
        response = Response(orjson.dumps(meta, option=orjson.OPT_INDENT_2), mimetype=MEDIA[ext])
    elif ext == "geojson":
        members = {
            "name": layer.id,
            "coopmap": meta,
            **({"notice": meta["notice"]} if "notice" in meta else {}),
            **crs_output.geojson_member(cs),
        }
        digits = crs_output.precision(cs)  # read now: the pages are encoded while streaming
        pages = ((page.encoder.output(cs, digits), page.positions) for page in selection.chunks())
        response = http.streamed(stream_pages(pages, members), MEDIA[ext], headers)
    elif ext == "csv":
        from geo.features.export import csv_pages

        pages = ((page.encoder, page.positions) for page in selection.chunks())
        response = http.streamed(csv_pages(pages), MEDIA[ext], headers)
    else:
        response = _file_response(_cached_file(selection, version, ext, meta, cs), MEDIA[ext], headers)
    if ext == "metadata.json":
        response.headers.update({k: v for k, v in headers.items() if k != "Content-Disposition"})
    else:
        crs_output.stamp(response, cs)
    return http.stamp(response, etag, modified)


def _metadata(selection: Selection, version: str) -> dict[str, Any]:
    layer = selection.layer
    meta: dict[str, Any] = {
        "layer": layer.id,
        "title": layer.title,
        "data_version": version,
        "licence": layer.licence,
        "attribution": layer.attribution,
        "source": layer.source.describe(),
        "number_of_features": selection.matched,
        "query": {k: v for k, v in request.args.items()},
    }
    if selection.has_synthetic():
        meta["notice"] = SYNTHETIC_NOTICE
    return meta


def _params_tag() -> str:
    if not request.args:
        return ""
    h = hashlib.blake2b(digest_size=4)
    h.update(repr(sorted(request.args.items(multi=True))).encode())
    return "-" + h.hexdigest()


def _file_name(layer_id: str, version: str, ext: str) -> str:
    """``coopmap-<layer>-<data version>[-<filter hash>].<ext>``."""
    return f"coopmap-{layer_id}-{version}{_params_tag()}.{ext}"


def download_cache() -> DiskCache:
    """The download files' disk cache: ``cache_dir/downloads``, ``download_cache_mb`` MB."""
    conf = settings()
    return DiskCache(conf.cache_dir / "downloads", conf.download_cache_mb * 2**20, MIN_CACHED_BYTES)


def _cached_file(selection: Selection, version: str, ext: str, meta: dict[str, Any],
                 cs: crs_output.CoordinateSystem) -> BinaryIO:
    """The file for this layer, view's data version and filter set, OPEN for reading: from the
    cache, else written (atomically) and kept when worth it. The caller closes it."""
    cache = download_cache()
    name = _file_name(selection.layer.id, version, ext)
    found = cache.open(name)
    if found is not None:
        return found
    text_meta = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in meta.items()}
    # Read from the store a chunk at a time: a GeoPackage and a GeoParquet file are written chunk by chunk,
    # FlatGeobuf from the chunks joined (geo.features.export.write_frames). GeoParquet rows are in
    # spatial order unless the caller asked for another (sortby).
    frames = crs_output.frames_in(selection.frames(), cs)
    return cache.fill(name, lambda path: write_frames(frames, Path(path), selection.layer.id, text_meta,
                                                      "notice" in meta, spatial=not selection.sortby))


def _file_response(handle: BinaryIO, mimetype: str, headers: dict[str, str]) -> Response:
    """Stream the open ``handle`` (closed when the response ends), with its length."""
    try:
        size = os.fstat(handle.fileno()).st_size
        body = wrap_file(request.environ, handle)
    except BaseException:
        handle.close()
        raise
    response = Response(body, mimetype=mimetype, headers=headers, direct_passthrough=True)
    response.content_length = size
    return response
