"""The reference registries: ENVR schools (``load_envr``) and projects (``load_projects``)."""

from __future__ import annotations

from geo.registries.envr import load_envr
from geo.registries.fields import RegistryLoad
from geo.registries.projects import load_projects

__all__ = ["RegistryLoad", "load_envr", "load_projects"]
