"""The real Dapr runtime for development and tests: binaries, components, launcher."""

from .binaries import DaprBinaries, DaprBinariesError, build, resolve_binaries
from .launcher import AppReplica, AppSpec, DaprCluster, python_app
from .processes import StartupError
from .resources import ComponentSet

__all__ = [
    "AppReplica",
    "AppSpec",
    "ComponentSet",
    "DaprBinaries",
    "DaprBinariesError",
    "DaprCluster",
    "StartupError",
    "build",
    "python_app",
    "resolve_binaries",
]
