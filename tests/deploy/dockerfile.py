"""Read the Dockerfile's stages and the .dockerignore rules (the image is not built here)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.manifests import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, instruction: str) -> str | None:
        values = [value for name, value in self.instructions if name == instruction]
        return values[-1] if values else None

    def exec_form(self, instruction: str) -> list[str]:
        value = self.last(instruction)
        return json.loads(value) if value else []


def build_args() -> dict[str, str]:
    """ARGs declared before the first FROM, with their defaults."""
    header = DOCKERFILE.read_text().split("\nFROM ", 1)[0]
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", header, re.MULTILINE))


def stages() -> list[Stage]:
    result: list[Stage] = []
    for name, value in _instructions(DOCKERFILE.read_text()):
        if name == "FROM":
            base, _, alias = value.partition(" AS ")
            result.append(Stage(base.strip(), alias.strip()))
        elif result:
            result[-1].instructions.append((name, value))
    return result


def ignored(relative: str) -> bool:
    """Whether .dockerignore keeps a path (relative to the context) out of the build."""
    rules = [
        (line.startswith("!"), _pattern(line.lstrip("!")))
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for negated, pattern in rules:  # the last matching rule wins; a rule on a dir covers its files
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            result = not negated
    return result


def _pattern(rule: str) -> re.Pattern[str]:
    glob = rule.strip().strip("/")
    regex = (
        re.escape(glob).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    )
    return re.compile(regex)


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)  # line continuations
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
