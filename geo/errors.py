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

    @property
    def details(self) -> dict[str, object]:
        """Members of the JSON answer beside ``code`` and ``description`` (none by default)."""
        return {}


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


class StoreUnavailable(CoopmapError):
    """The store cannot be reached now (the database is down or restarting): try again later.

    The web layer answers 503 with ``Retry-After: retry_after``.
    """

    status = 503
    code = "ServiceUnavailable"
    retry_after = 5


class CountryNotFound(CoopmapError):
    """No country of the boundaries has this ISO 3166-1 alpha-3 code."""

    status = 404
    code = "NotFound"

    def __init__(self, iso3: str) -> None:
        self.iso3 = iso3
        super().__init__(f"unknown country iso3={iso3!r}: not in the boundaries")


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


class RecordInvalid(CoopmapError):
    """A registry record fails the registry's validation: ``fields`` maps each field to its message
    (in the language asked); the JSON answer carries it as ``fields``."""

    def __init__(self, registry: str, fields: dict[str, str]) -> None:
        self.registry = registry
        self.fields = fields
        listed = "; ".join(f"{name}: {message}" for name, message in fields.items())
        super().__init__(f"invalid {registry} record: {listed}")

    @property
    def details(self) -> dict[str, object]:
        return {"fields": self.fields}


class RecordNotFound(CoopmapError):
    """No record (or no such version of it) in the registry."""

    status = 404
    code = "NotFound"

    def __init__(self, registry: str, record_id: str, version: int | None = None) -> None:
        self.registry = registry
        self.record_id = record_id
        which = f" version {version}" if version is not None else ""
        super().__init__(f"no {registry} record {record_id!r}{which}")


class EditForbidden(CoopmapError):
    """The caller's role may not make this change (``layers.access.may_edit``)."""

    status = 403
    code = "Forbidden"

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        super().__init__(f"role {role!r} may not {action} registry records")


class PreconditionFailed(CoopmapError):
    """The record changed since the caller read it: the ``If-Match`` ETag is not its current one."""

    status = 412
    code = "PreconditionFailed"

    def __init__(self, record_id: str, sent: str, current: str) -> None:
        self.record_id = record_id
        self.sent = sent
        self.current = current
        super().__init__(f"record {record_id!r} changed: If-Match {sent!r} is not its current ETag {current!r}; "
                         "read it again and repeat the change")


class PreconditionRequired(CoopmapError):
    """A change of an existing record was sent without ``If-Match``."""

    status = 428
    code = "PreconditionRequired"

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(f"changing record {record_id!r} needs an If-Match header with its ETag")
