"""Render the component sets of ``components/`` into a per-run resources dir."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from string import Template

from .binaries import REPO_ROOT

COMPONENTS_DIR = REPO_ROOT / "components"


class ComponentSet(StrEnum):
    LOCAL = "local"  # SQLite state, in-memory pub/sub: no server, one replica
    REDIS = "redis"  # Redis state and pub/sub: several replicas
    POSTGRES = "postgres"  # PostgreSQL state, Redis pub/sub: several replicas


@dataclass(frozen=True)
class RenderedResources:
    resources_dir: Path
    config_file: Path


def render(
    component_set: ComponentSet,
    target_dir: Path,
    variables: dict[str, str],
    source_dir: Path = COMPONENTS_DIR,
) -> RenderedResources:
    """Copy ``common/`` + the chosen set + ``config.yaml`` with ``${NAME}`` filled in.

    A placeholder without a value is an error, not an empty string.
    """
    resources_dir = target_dir / "resources"
    resources_dir.mkdir(parents=True, exist_ok=True)
    for folder in ("common", component_set.value):
        for source in sorted((source_dir / folder).glob("*.yaml")):
            _render_file(source, resources_dir / f"{folder}-{source.name}", variables)
    config_file = target_dir / "config.yaml"
    _render_file(source_dir / "config.yaml", config_file, variables)
    return RenderedResources(resources_dir, config_file)


def _render_file(source: Path, target: Path, variables: dict[str, str]) -> None:
    try:
        target.write_text(Template(source.read_text()).substitute(variables))
    except KeyError as missing:
        raise ValueError(f"{source}: no value for placeholder {missing}") from None
