"""Running the app under gunicorn from ``coopmap serve --production``.

The app is built once in the master process and inherited by the forked workers, so the default
layers and the session secret are created once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class GunicornApp(BaseApplication):
    """gunicorn serving an already built Flask app with the given settings."""

    def __init__(self, app: Flask, options: Mapping[str, Any]) -> None:
        self.application = app
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            # settings newer than the installed gunicorn (control_socket_disable: 25.1) are skipped
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application
