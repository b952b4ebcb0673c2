"""Hatch build hook: compile the message catalogs so the wheel ships ``messages.mo``.

Only compiled catalogs are read at run time and ``*.mo`` files are not committed, so each
``matchmaker/translations/<lang>/LC_MESSAGES/messages.po`` is compiled next to itself before
the wheel is built; ``artifacts`` in pyproject.toml then includes the (gitignored) result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileTranslationsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        catalogs = sorted(Path(self.root).glob("matchmaker/translations/*/LC_MESSAGES/*.po"))
        for po in catalogs:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=po.parent.parent.name, abort_invalid=True)
            errors = [
                f"{po.relative_to(self.root)}: {message.id!r}: {error}"
                for message, problems in catalog.check()
                for error in problems
            ]
            if errors:
                raise RuntimeError("invalid translations:\n" + "\n".join(errors))
            with po.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            self.app.display_info(f"compiled {po.relative_to(self.root).with_suffix('.mo')}")
