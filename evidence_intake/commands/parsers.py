"""`evidence-intake parsers`: every parser installed, where it comes from, and plugins that failed."""

from __future__ import annotations

import typer

from evidence_intake import console
from evidence_intake.commands._options import JsonOpt
from evidence_intake.parsers.registry import ParserRegistry


def parsers_command(json_out: JsonOpt = False) -> None:
    """List the parsers: name, version, artefact kinds, paths read, and the package each comes from.

    Built-in parsers and plugins are found the same way (the evidence_intake.parsers entry points);
    a plugin that could not be loaded is listed with its error.

    Example: evidence-intake parsers --json
    """
    registry = ParserRegistry.discover()
    if json_out:
        console.print_json(
            {
                "parsers": [info.to_dict() for info in registry],
                "failures": [f.to_dict() for f in registry.failures],
            }
        )
        return
    console.table(
        "Parsers",
        ["name", "version", "kinds", "paths", "from"],
        [
            (
                info.name,
                info.version,
                ", ".join(info.cls.kind_names()),
                "\n".join(info.cls.globs),
                f"{info.distribution} {info.distribution_version}".strip(),
            )
            for info in registry
        ],
    )
    if registry.failures:
        console.table(
            "Plugins that could not be loaded",
            ["entry point", "target", "from", "error"],
            [(f.name, f.entry_point, f.distribution, f.error) for f in registry.failures],
        )
        console.warn(f"{len(registry.failures)} plugin(s) could not be loaded; they are not used")


def register(root: typer.Typer) -> None:
    root.command("parsers")(parsers_command)
