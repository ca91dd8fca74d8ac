"""Every check of a rendered kustomization, in one list of problems.

.venv/bin/python -m tests.deploy.validate deploy/overlays/dev [...]
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.deploy.contract import contract_problems
from tests.deploy.drift import drift_problems
from tests.deploy.gitops import gitops_problems, is_gitops
from tests.deploy.kustomize import render
from tests.deploy.manifests import Obj
from tests.deploy.schemas import schema_problems


def object_problems(objects: list[Obj]) -> list[str]:
    """Each object against its schema (GitOps objects: against their controllers' needs)."""
    return [
        problem
        for obj in objects
        for problem in (gitops_problems(obj, objects) if is_gitops(obj) else schema_problems(obj))
    ]


def app_overlay_problems(objects: list[Obj]) -> list[str]:
    """An overlay that deploys Optimus: schemas, the app's contract, no drift from components/."""
    return object_problems(objects) + contract_problems(objects) + drift_problems(objects)


def main(paths: list[str]) -> int:
    failed = False
    for path in paths:
        objects = render(Path(path))
        is_app = not all(is_gitops(obj) for obj in objects)
        problems = app_overlay_problems(objects) if is_app else object_problems(objects)
        print(f"{path}: {len(objects)} objects, {len(problems)} problems")
        for problem in problems:
            print(f"  {problem}")
        failed |= bool(problems)
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
