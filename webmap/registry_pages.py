"""The registry pages for planners and above: add or edit a project or a school, a record's history.

::

    GET/POST /registry/<projects|envr>/new             the form of a new record
    GET/POST /registry/<projects|envr>/<id>/edit       the form of a record (its ETag in the form)
    GET      /registry/<projects|envr>/<id>            the record's page: its history, field by field
    POST     /registry/<projects|envr>/<id>/restore    a version back (``version``), or un-retire (admin)
    POST     /registry/<projects|envr>/<id>/retire     off the map, kept in the history (admin)
    GET      /registry/places?q=gom&countries=COD      gazetteer suggestions (JSON)

Every change goes through ``layers.registry_edit`` (the registry's own validation, the one save
path); a form that fails it is shown again with each message next to its field, nothing saved.
Posts carry the session's CSRF token and answer with a redirect (Post/Redirect/Get). The public
is sent to the login page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for

from geo.errors import PreconditionFailed, RecordInvalid
from geo.i18n import pick_language, strings, text
from layers import registry_edit
from layers.access import at_least, hidden_record_fields, may_edit
from layers.catalogue import CATALOGUE
from webmap.auth import check_csrf, current_role, identify
from webmap.context import raw_store, store
from webmap.registry_forms import COUNTRY_FIELD, FORMS, PLACE_FIELD, form_values, from_record, to_record
from webmap.registry_places import place_suggestions
from webmap.security import mark_restricted

bp = Blueprint("registry_pages", __name__, url_prefix="/registry")

NOTICE_KEY = "registry_notice"
"""Session key of the message shown once after a redirect (saved, restored, retired)."""
FIELD_OF = {"geometry": "lat", "record": "acronym"}
"""Where a message about the record's geometry (or the record as a whole) is shown in the form."""


@bp.before_request
def _planners_only() -> Response | None:
    """The public is sent to the login page (and back here after it); JSON callers get a 401."""
    if may_edit(current_role(), "create"):
        mark_restricted()
        return None
    if request.endpoint == "registry_pages.places":
        response = jsonify({"code": "Unauthorized", "description": "sign in as a planner to search places"})
        response.status_code = 401
        return response
    return redirect(url_for("auth.login_form", next=request.full_path.rstrip("?")), code=303)


def _lang() -> str:
    return pick_language(request.args, request.accept_languages)


def _editor(lang: str) -> registry_edit.Editor:
    who = identify()
    return registry_edit.Editor(who.name or who.role, who.role, lang)


def _page(template: str, lang: str, title: str, status: int = 200, **context: Any) -> Response:
    t = {**strings(lang), **{k: text(lang, k) for k in _registry_keys()}}
    other = "en" if lang == "fr" else "fr"
    args = {**request.args.to_dict(), "lang": other}
    nav = [*context.pop("nav", []),
           {"href": url_for(request.endpoint or "", **(request.view_args or {}), **args),
            "text": "English" if other == "en" else "Français", "lang": other}]
    html = render_template(template, lang=lang, t=t, title=title, nav=nav, notice=session.pop(NOTICE_KEY, None),
                           map_url=url_for("pages.index", lang=lang), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Language"] = lang
    return response


def _registry_keys() -> list[str]:
    from geo.i18n import REGISTRY_PREFIX, TEXTS

    return [key for key in TEXTS if key.startswith(REGISTRY_PREFIX)]


# -- the form ---------------------------------------------------------------------------------------


@bp.route("/<layer_id>/new", methods=["GET", "POST"])
def new(layer_id: str) -> Response:
    """The form of a new project or school; a valid one is saved and its page shown."""
    fields = _fields(layer_id)
    lang = _lang()
    values = {f.name: "" for f in fields}
    values.update({k: v for k, v in request.args.items() if k in values})  # e.g. ?lat=..&lon=.. from the map
    errors: dict[str, str] = {}
    if request.method == "POST":
        check_csrf()
        values = form_values(layer_id, request.form)
        try:
            made = registry_edit.create(store(), _editor(lang), layer_id, *_record(values, lang))
        except RecordInvalid as exc:
            errors = _placed(exc.fields, values)
        else:
            return _saved(layer_id, made, lang, "registry_saved")
    title = text(lang, f"registry_new_{layer_id}")
    return _form(layer_id, lang, title, values, errors, None)


@bp.route("/<layer_id>/<item_id>/edit", methods=["GET", "POST"])
def edit(layer_id: str, item_id: str) -> Response:
    """The form of a stored record; saving needs the ETag it was read with (412 → shown again)."""
    fields = _fields(layer_id)
    lang = _lang()
    found = registry_edit.item(store(), layer_id, item_id)
    values = from_record(layer_id, found.properties, found.geometry)
    etag = found.etag
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        check_csrf()
        values = form_values(layer_id, request.form)
        etag = request.form.get("etag", "")
        try:
            properties, geometry = _record(values, lang)
            hidden = {f.name for f in FORMS[layer_id]} - {f.name for f in fields}
            saved = registry_edit.replace(store(), _editor(lang), layer_id, found.id,
                                          {k: v for k, v in properties.items() if k not in hidden}, geometry, etag)
        except RecordInvalid as exc:
            errors, status = _placed(exc.fields, values), 400
        except PreconditionFailed:  # the form now carries the current ETag: saving again is a choice
            errors, status = {"acronym": text(lang, "registry_stale")}, 412
            etag = found.etag
        else:
            return _saved(layer_id, saved, lang, "registry_saved")
    title = text(lang, "registry_edit_title", name=found.id)
    return _form(layer_id, lang, title, values, errors, etag, found.id, status)


def _fields(layer_id: str) -> list[Any]:
    """The form's fields that the caller may see (no budget below analyst); 404 for another layer."""
    if layer_id not in FORMS:
        from webmap.errors import NotFound

        raise NotFound(f"no registry {layer_id!r}; registries are {sorted(FORMS)}")
    hidden = hidden_record_fields(CATALOGUE.get(layer_id), current_role())
    return [f for f in FORMS[layer_id] if f.name not in hidden]


def _record(values: dict[str, str], lang: str) -> tuple[dict[str, str], dict[str, Any] | None]:
    properties, geometry = to_record(values)
    if "lat" in properties:  # coordinates that are not numbers cannot make a geometry
        raise RecordInvalid("form", {"lat": text(lang, "registry_coordinates_unreadable",
                                                 value=f"{properties['lat']} / {properties['lon']}")})
    return properties, geometry


def _placed(messages: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Each message under the field it is about (``geometry`` under the latitude)."""
    out: dict[str, str] = {}
    for name, message in messages.items():
        field = FIELD_OF.get(name, name if name in values else "acronym")
        out[field] = f"{out[field]} {message}" if field in out else message
    return out


def _form(layer_id: str, lang: str, title: str, values: dict[str, str], errors: dict[str, str],
          etag: str | None, item_id: str | None = None, status: int | None = None) -> Response:
    fields = _fields(layer_id)
    words = {key.removeprefix("registry_"): text(lang, key) for key in (
        "registry_precision_exact", "registry_precision_city", "registry_precision_province",
        "registry_precision_country", "registry_precision_none", "registry_precision_from_names",
        "registry_place_none")}
    words["place_found"] = text(lang, "registry_place_found", n="{n}")
    words["precision_"] = _stored_precision_words(layer_id, item_id, lang) or words["precision_exact"]
    nav = []
    if item_id is not None:
        nav.append({"href": url_for(".page", layer_id=layer_id, item_id=item_id, lang=lang),
                    "text": text(lang, "registry_history_link")})
    return _page(
        "registry_form.html", lang, title, status or (400 if errors else 200),
        fields=fields, names={f.name for f in fields}, values=values, errors=errors, etag=etag, nav=nav,
        errors_text=text(lang, "registry_errors", n=len(errors)), locked=item_id is not None,
        action=request.full_path.rstrip("?"), basemap_url=url_for("mapdata.basemap"),
        suggest_url=url_for(".places"), country_field=COUNTRY_FIELD[layer_id], place_field=PLACE_FIELD[layer_id],
        words=words, precision_text="",
    )


def _stored_precision_words(layer_id: str, item_id: str | None, lang: str) -> str | None:
    """The precision the map has for the record now, in words (when the form leaves it derived)."""
    if item_id is None or not raw_store().has(layer_id):
        return None
    frame = raw_store().read(layer_id)
    rows = frame[frame["acronym"] == item_id]
    kinds = sorted({str(p) for p in rows["geocode_precision"].dropna()}) if "geocode_precision" in rows else []
    return " / ".join(text(lang, f"registry_precision_{k}") for k in kinds) or None


def _saved(layer_id: str, saved: registry_edit.Item, lang: str, key: str) -> Response:
    session[NOTICE_KEY] = text(lang, key, version=saved.version)
    return redirect(url_for(".page", layer_id=layer_id, item_id=saved.id, lang=lang), code=303)


# -- the record's page: history, restore, retire -----------------------------------------------------


@bp.get("/<layer_id>/<item_id>")
def page(layer_id: str, item_id: str) -> Response:
    """The record with its versions: who, when, what changed field by field; restore buttons."""
    _fields(layer_id)
    lang = _lang()
    found = registry_edit.item(store(), layer_id, item_id)
    hidden = hidden_record_fields(CATALOGUE.get(layer_id), current_role())
    versions = []
    for v in reversed(registry_edit.history(store(), layer_id, found.id)):
        changes = [(name, before, after) for name, (before, after) in v.changes.items() if name not in hidden]
        versions.append({"v": v, "changes": changes,
                         "by": text(lang, "registry_by", action=text(lang, f"registry_action_{v.action}"),
                                    who=v.actor, when=v.at.replace("T", " ").removesuffix("+00:00") + " UTC")})
    nav = [{"href": url_for(".edit", layer_id=layer_id, item_id=found.id, lang=lang),
            "text": text(lang, "registry_edit_link")},
           {"href": _map_link(found, lang), "text": text(lang, "registry_map_link")},
           {"href": url_for("features.items", collection_id=layer_id, acronym=found.id, f="html"),
            "text": text(lang, "registry_api_link")}]
    return _page("registry_history.html", lang, text(lang, "registry_history_title", name=found.id),
                 item=found, versions=versions, nav=nav, admin=at_least(current_role(), "admin"),
                 layer_id=layer_id, field_label=lambda name: _label(lang, name))


def _label(lang: str, name: str) -> str:
    key = f"registry_field_{name}"
    from geo.i18n import TEXTS

    return text(lang, key) if key in TEXTS else name


def _map_link(found: registry_edit.Item, lang: str) -> str:
    """The overview map around the record's point(s), over the project's years (the map shows the
    projects of its period)."""
    args: dict[str, str] = {"lang": lang}
    start, end = found.properties.get("start", ""), found.properties.get("end", "")
    if start or end:
        args["datetime"] = f"{start or '..'}/{end or '..'}"
    coordinates = []
    if found.geometry:
        g = found.geometry
        coordinates = [g["coordinates"]] if g["type"] == "Point" else list(g["coordinates"])
    if coordinates:
        xs, ys = [c[0] for c in coordinates], [c[1] for c in coordinates]
        args["bbox"] = ",".join(f"{v:.3f}" for v in (min(xs) - 2, min(ys) - 2, max(xs) + 2, max(ys) + 2))
    return url_for("pages.index", **args)


@bp.post("/<layer_id>/<item_id>/restore")
def restore(layer_id: str, item_id: str) -> Response:
    """Version ``version`` back as the newest version (planners); without a version, un-retire (admin)."""
    check_csrf()
    _fields(layer_id)
    lang = _lang()
    version_text = request.form.get("version", "")
    if version_text and not version_text.isdigit():
        from geo.errors import InvalidParameter

        raise InvalidParameter("version", version_text, "a version number")
    version = int(version_text) if version_text else None
    saved = registry_edit.restore(store(), _editor(lang), layer_id, item_id, version, request.form.get("etag"))
    key = "registry_restored" if version is not None else "registry_saved"
    session[NOTICE_KEY] = text(lang, key, version=version if version is not None else saved.version)
    return redirect(url_for(".page", layer_id=layer_id, item_id=saved.id, lang=lang), code=303)


@bp.post("/<layer_id>/<item_id>/retire")
def retire(layer_id: str, item_id: str) -> Response:
    """The record off the map (admin); its history stays."""
    check_csrf()
    _fields(layer_id)
    lang = _lang()
    saved = registry_edit.retire(store(), _editor(lang), layer_id, item_id, request.form.get("etag"))
    session[NOTICE_KEY] = text(lang, "registry_retired")
    return redirect(url_for(".page", layer_id=layer_id, item_id=saved.id, lang=lang), code=303)


@bp.get("/places")
def places() -> Response:
    """Gazetteer places whose name starts with ``q`` in ``countries`` (';'-separated ISO3)."""
    return jsonify({"places": place_suggestions(request.args.get("q", ""), request.args.get("countries", ""),
                                                _lang())})
