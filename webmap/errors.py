"""Web-facing errors: each carries an HTTP status and an OGC exception code.

One error handler (registered in ``create_app``) turns them, and the geo errors, into JSON
``{"code", "description"}`` responses; nothing reaches the client as a 500 page for bad input.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from geo.errors import CoopmapError, InputFileError, InvalidParameter, LayerNotFound


class WebError(Exception):
    """An error with an HTTP status and an OGC exception code."""

    status = 400
    code = "InvalidParameterValue"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class NotFound(WebError):
    status = 404
    code = "NotFound"


def _json(status: int, code: str, description: str) -> Response:
    response = jsonify({"code": code, "description": description})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(WebError)
    def _web_error(exc: WebError) -> Response:
        return _json(exc.status, exc.code, exc.description)

    @app.errorhandler(InvalidParameter)
    def _invalid(exc: InvalidParameter) -> Response:
        return _json(400, "InvalidParameterValue", str(exc))

    @app.errorhandler(LayerNotFound)
    def _not_found(exc: LayerNotFound) -> Response:
        return _json(404, "NotFound", str(exc))

    @app.errorhandler(InputFileError)
    def _input(exc: InputFileError) -> Response:
        return _json(400, "InvalidParameterValue", str(exc))

    @app.errorhandler(CoopmapError)
    def _other(exc: CoopmapError) -> Response:
        return _json(400, "InvalidParameterValue", str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = "NotFound" if exc.code == 404 else exc.name.replace(" ", "")
        return _json(exc.code or 500, code, exc.description or exc.name)
