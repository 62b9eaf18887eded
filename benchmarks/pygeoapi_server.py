"""The pygeoapi side of bench_features.py: its own venv under /tmp, its data and its config.

pygeoapi is installed only into ``/tmp/pygeoapi-venv``, never into the project's venv.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PYGEOAPI_VENV = Path("/tmp/pygeoapi-venv")


def setup_pygeoapi(work: Path, events, port: int) -> tuple[list[str], dict[str, str]]:  # noqa: ANN001
    """Create the pygeoapi venv if needed, its data and config; return its command and env."""
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(PYGEOAPI_VENV)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import pygeoapi, geopandas, pyarrow, s3fs, gunicorn"],
        capture_output=True,
    )
    if probe.returncode != 0:
        subprocess.run(
            [
                str(PYGEOAPI_VENV / "bin" / "pip"),
                "install",
                "-q",
                "pygeoapi",
                "gunicorn",
                "geopandas",
                "pyarrow",
                "s3fs",
            ],
            check=True,
        )
    data = events.drop(columns=["original"]).copy()
    data["lon"] = data.geometry.x
    data["lat"] = data.geometry.y
    parquet = work / "pygeoapi-events.parquet"
    data.to_parquet(parquet, index=False)
    config = work / "pygeoapi.yml"
    config.write_text(PYGEOAPI_CONFIG.format(port=port, source=parquet))
    openapi = work / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run(
        [
            str(PYGEOAPI_VENV / "bin" / "pygeoapi"),
            "openapi",
            "generate",
            str(config),
            "--output-file",
            str(openapi),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    command = [
        str(PYGEOAPI_VENV / "bin" / "gunicorn"),
        "-w",
        "1",
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "600",
        "pygeoapi.flask_app:APP",
    ]
    return command, env


POSTGRES_PACKAGES = ["pygeoapi", "gunicorn", "psycopg2-binary", "sqlalchemy", "geoalchemy2",
                     "pygeofilter[backend-sqlalchemy]"]
"""What pygeoapi's PostgreSQL provider imports besides pygeoapi (pip names)."""


def setup_pygeoapi_postgres(
    work: Path, url: str, schema: str, table: str, port: int, workers: int = 2
) -> tuple[list[str], dict[str, str]]:
    """pygeoapi with its PostgreSQL provider on ``schema.table`` of the database at ``url``
    (``postgresql://user@host:port/dbname``), in the same venv; return its command and env."""
    from urllib.parse import urlsplit

    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(PYGEOAPI_VENV)], check=True)
    probe = "import pygeoapi, gunicorn, psycopg2, sqlalchemy, geoalchemy2, pygeofilter"
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode != 0:
        subprocess.run([str(PYGEOAPI_VENV / "bin" / "pip"), "install", "-q", *POSTGRES_PACKAGES], check=True)
    where = urlsplit(url)
    resource = POSTGRES_RESOURCE.format(host=where.hostname, port=where.port or 5432, dbname=where.path.lstrip("/"),
                                        user=where.username, schema=schema, table=table)
    config = work / "pygeoapi-postgres.yml"
    config.write_text(PYGEOAPI_CONFIG.split("resources:")[0].format(port=port) + resource)
    openapi = work / "pygeoapi-postgres-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(PYGEOAPI_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                    "--output-file", str(openapi)], check=True, env=env, capture_output=True)
    command = [str(PYGEOAPI_VENV / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--timeout", "600", "pygeoapi.flask_app:APP"]
    return command, env


POSTGRES_RESOURCE = """\
resources:
  events:
    type: collection
    title: events
    description: events
    keywords: [events]
    links: []
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: {host}, port: {port}, dbname: {dbname}, user: {user}, search_path: [{schema}, public]}}
        id_field: fid
        table: {table}
        geom_field: geom
"""

PYGEOAPI_CONFIG = """\
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'http://127.0.0.1/{{z}}/{{x}}/{{y}}.png', attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification:
    title: bench
    description: bench
    keywords: [bench]
    keywords_type: theme
    terms_of_service: none
    url: http://127.0.0.1
  license: {{name: CC-BY 4.0, url: 'https://creativecommons.org/licenses/by/4.0/'}}
  provider: {{name: bench, url: 'http://127.0.0.1'}}
  contact: {{name: bench}}
resources:
  events:
    type: collection
    title: events
    description: events
    keywords: [events]
    links: []
    extents:
      spatial: {{bbox: [-180, -90, 180, 90], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    providers:
      - type: feature
        name: Parquet
        data: {{source: {source}}}
        id_field: event_id
        x_field: lon
        y_field: lat
        time_field: event_date
"""
