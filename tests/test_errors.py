"""One error handler: every coopmap error becomes JSON ``{"code", "description"}`` with its status."""

from __future__ import annotations

import pytest
from flask import Flask

from geo.errors import CoopmapError, InputFileError, InvalidParameter, LayerNotFound
from webmap.errors import NotFound, WebError, register_error_handlers

RAISED = {
    "invalid": InvalidParameter("bbox", "1,2", "use minx,miny"),
    "layer": LayerNotFound("nope"),
    "file": InputFileError("events.csv", "no column 'lat'"),
    "other": CoopmapError("something else"),
    "web": WebError("invalid f='xml': use one of ['json']"),
    "missing": NotFound("no item 'X1' in layer 'projects'"),
}


@pytest.fixture
def client():
    app = Flask(__name__)
    register_error_handlers(app)

    @app.get("/raise/<name>")
    def _raise(name: str) -> str:
        raise RAISED[name]

    return app.test_client()


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("invalid", 400, {"code": "InvalidParameterValue", "description": "invalid bbox='1,2': use minx,miny"}),
        ("layer", 404, {"code": "NotFound", "description": "unknown layer 'nope'"}),
        ("file", 400, {"code": "InvalidParameterValue", "description": "events.csv: no column 'lat'"}),
        ("other", 400, {"code": "InvalidParameterValue", "description": "something else"}),
        ("web", 400, {"code": "InvalidParameterValue", "description": "invalid f='xml': use one of ['json']"}),
        ("missing", 404, {"code": "NotFound", "description": "no item 'X1' in layer 'projects'"}),
    ],
)
def test_each_error_answers_its_status_and_ogc_code(client, name, status, body):
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.get_json() == body


def test_werkzeug_errors_keep_their_own_handler(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["code"] == "NotFound"


def test_the_description_is_the_message():
    assert LayerNotFound("nope").description == str(LayerNotFound("nope")) == "unknown layer 'nope'"
    assert WebError("bad").description == "bad"
