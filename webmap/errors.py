"""Web-facing errors: each carries an HTTP status and an OGC exception code.

One error handler (registered in ``create_app``) turns them, and the geo errors, into JSON
``{"code", "description"}`` responses; nothing reaches the client as a 500 page for bad input.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from geo.errors import CoopmapError, StoreUnavailable


class WebError(CoopmapError):
    """An error found by the web layer (bad ``f``, bad form token...): 400 ``InvalidParameterValue``."""


class NotFound(WebError):
    status = 404
    code = "NotFound"


def _json(status: int, code: str, description: str, **details: object) -> Response:
    response = jsonify({"code": code, "description": description, **details})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CoopmapError)
    def _coopmap(exc: CoopmapError) -> Response:
        response = _json(exc.status, exc.code, exc.description, **exc.details)
        if isinstance(exc, StoreUnavailable):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = "NotFound" if exc.code == 404 else exc.name.replace(" ", "")
        return _json(exc.code or 500, code, exc.description or exc.name)
