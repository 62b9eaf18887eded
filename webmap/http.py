"""HTTP plumbing for the data endpoints: ETag and 304s, gzip, CORS and format negotiation."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping

from flask import Blueprint, Response, request

from webmap.errors import WebError

GZIP_MIN_BYTES = 1400
"""Bodies smaller than this go uncompressed (about one TCP segment)."""

MEDIA = {
    "json": "application/geo+json",
    "html": "text/html",
    "csv": "text/csv",
}
ACCEPT = {
    "application/geo+json": "json",
    "application/json": "json",
    "text/html": "html",
    "text/csv": "csv",
}


def negotiate(formats: Iterable[str], default: str = "json") -> str:
    """The output format: ``f`` if given, else the best ``Accept`` match, else ``default``."""
    formats = list(formats)
    chosen = request.args.get("f")
    if chosen is not None:
        if chosen not in formats:
            raise WebError(f"invalid f={chosen!r}: use one of {formats}")
        return chosen
    offered = [media for media, name in ACCEPT.items() if name in formats]
    best = request.accept_mimetypes.best_match(offered) if request.accept_mimetypes else None
    anything = max((q for value, q in request.accept_mimetypes if value == "*/*"), default=0)
    if best is None or request.accept_mimetypes[best] <= anything:
        return default
    return ACCEPT[best]


def etag_for(data_version: str, extra: str = "") -> str:
    """An ETag from the data version, the path and the query parameters."""
    h = hashlib.blake2b(digest_size=10)
    h.update(
        f"{data_version}|{request.path}|{sorted(request.args.items(multi=True))}|{extra}".encode()
    )
    return h.hexdigest()


def last_modified(updated: Iterable[str]) -> dt.datetime | None:
    """The latest of ISO timestamps (the manifest's ``updated``), to the second."""
    stamps = [dt.datetime.fromisoformat(u) for u in updated if u]
    return max(stamps).replace(microsecond=0) if stamps else None


def not_modified(
    etag: str, modified: dt.datetime | None, *, weak: bool = True, max_age: int | None = None
) -> Response | None:
    """A 304 response when the client's copy is current, checked before any work is done.

    ``weak`` and ``max_age`` are passed to :func:`stamp`, so the 304 carries the same headers
    as the full response.
    """
    if request.if_none_match:
        if request.if_none_match.contains_weak(etag):
            return _304(etag, modified, weak, max_age)
        return None
    since = request.if_modified_since
    if since is not None and modified is not None and modified <= since:
        return _304(etag, modified, weak, max_age)
    return None


def _304(etag: str, modified: dt.datetime | None, weak: bool, max_age: int | None) -> Response:
    response = Response(status=304)
    stamp(response, etag, modified, weak=weak, max_age=max_age)
    return response


def stamp(
    response: Response,
    etag: str,
    modified: dt.datetime | None,
    *,
    weak: bool = True,
    max_age: int | None = None,
) -> Response:
    """Set the validators and the cache policy of a public response.

    Parameters
    ----------
    response : the response to mark
    etag : its entity tag
    modified : its ``Last-Modified`` time, or None
    weak : a weak ETag (the default: the gzip and identity bodies of the data endpoints share
        it); False for byte-identical files (snapshots)
    max_age : seconds a client may reuse the response before revalidating; None (the default)
        means revalidate every time (``no-cache``)
    """
    response.set_etag(etag, weak=weak)
    if modified is not None:
        response.last_modified = modified
    response.cache_control.public = True
    if max_age is None:
        response.cache_control.no_cache = True
    else:
        response.cache_control.max_age = max_age
    return response


def accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Compress a stream of chunks into one gzip member, chunk by chunk."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # fast: streams are large
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def streamed(chunks: Iterable[bytes], mimetype: str, headers: Mapping[str, str]) -> Response:
    """A streamed response, gzip-compressed on the fly when the client accepts it."""
    response = Response(
        gzip_stream(chunks) if accepts_gzip() else chunks, mimetype=mimetype, headers=dict(headers)
    )
    if accepts_gzip():
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def install(bp: Blueprint) -> None:
    """Add gzip (large, non-streamed bodies) and CORS (GET) to every response of ``bp``."""

    @bp.after_request
    def _after(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Last-Modified, Content-Disposition, Link, X-Coopmap-Data-Version, X-Coopmap-Notice"
        )
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, If-None-Match, If-Modified-Since"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
        response.vary.add("Accept")
        if (
            response.direct_passthrough
            or response.is_streamed
            or response.status_code != 200
            or "Content-Encoding" in response.headers
            or not accepts_gzip()
        ):
            return response
        body = response.get_data()
        if len(body) >= GZIP_MIN_BYTES:
            response.set_data(gzip.compress(body, compresslevel=3))
            response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
        return response
