"""Errors raised by the geo package.

Every error names the parameter or the file and the bad value, so the CLI can print it on one
line and the web layer can turn it into a JSON response with the error's ``status`` and ``code``.
"""

from __future__ import annotations


class CoopmapError(Exception):
    """Base class of every error coopmap raises on purpose.

    ``status`` (HTTP) and ``code`` (OGC API exception code) say how the web layer answers it;
    subclasses override them. ``description`` is the one-line message, ``str(exc)``.
    """

    status = 400
    code = "InvalidParameterValue"

    @property
    def description(self) -> str:
        """The message shown to the user (the CLI's line, the JSON ``description``)."""
        return str(self)


class InvalidParameter(CoopmapError):
    """A parameter value cannot be used (bad bbox, period, filter...)."""

    def __init__(self, parameter: str, value: object, reason: str) -> None:
        self.parameter = parameter
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {parameter}={value!r}: {reason}")


class LayerNotFound(CoopmapError):
    """The layer id is not in the catalogue or has no data in the store."""

    status = 404
    code = "NotFound"

    def __init__(self, layer_id: str) -> None:
        self.layer_id = layer_id
        super().__init__(f"unknown layer {layer_id!r}")


class InputFileError(CoopmapError):
    """An input file cannot be read at all (missing, wrong format, missing columns)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class DataChanged(CoopmapError):
    """A layer was replaced while a request was reading it in parts: the request is to be repeated."""

    status = 503
    code = "ServiceUnavailable"

    def __init__(self, layer_id: str) -> None:
        self.layer_id = layer_id
        super().__init__(f"layer {layer_id!r} changed while it was being read; repeat the request")
