"""Map pages for planners."""

from __future__ import annotations

from flask import Blueprint, render_template_string

from webmap.context import catalogue, store

bp = Blueprint("pages", __name__)

_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>coopmap</title></head>
<body><h1>coopmap</h1><p>Layers in this workspace (data version {{ version }}):</p><ul>
{% for layer, rows in layers %}<li>{{ layer.title }} ({{ layer.id }}): {{ rows }}</li>{% endfor %}
</ul></body></html>"""


@bp.get("/")
def index() -> str:
    manifest = store().manifest()
    rows = [(layer, manifest.layers[layer.id].rows if layer.id in manifest.layers else "—") for layer in catalogue()]
    return render_template_string(_INDEX, layers=rows, version=manifest.data_version)
