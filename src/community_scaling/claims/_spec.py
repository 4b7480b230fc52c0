"""What each claim module declares: its statement, the tables it needs, its settings
(study-file keys, never hard-coded) and the grid of reasonable settings it is also run on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClaimSpec:
    id: str
    statement: str
    needs: tuple[str, ...]
    # argument of the claim's test -> "section.key" of the study file that sets it
    settings: dict[str, str] = field(default_factory=dict)
    # argument -> other reasonable values; the verdict is recomputed at each, one at a time
    grid: dict[str, list] = field(default_factory=dict)

    def arguments(self, study) -> dict[str, Any]:
        """The test's arguments as the study file sets them."""
        values = {}
        for argument, key in self.settings.items():
            section, name = key.split(".", 1)
            values[argument] = study[section][name]
        return values

    def missing(self, tables: dict) -> list[str]:
        """Tables this claim needs that a study lacks (its verdict is then 'not applicable')."""
        return [name for name in self.needs if tables.get(name) is None]
