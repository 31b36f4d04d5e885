"""Finding parsers: the ``evidence_intake.parsers`` entry-point group, for built-in and third-party alike.

The registry is a plain object built on demand (``ParserRegistry.discover()``), never a module
global filled by imports: tests build their own from classes (``ParserRegistry.of(...)``) and two
registries never disturb each other. A plugin that cannot be imported, is not a ``Parser``, has bad
metadata or reuses a taken name is not fatal: it is listed in ``failures`` with the reason, and
``evidence-intake parsers`` shows it.

An entry point looks like this in a plugin's pyproject.toml::

    [project.entry-points."evidence_intake.parsers"]
    "samsung.logs" = "ei_samsung.logs:SamsungLogsParser"

The entry point's name must be the parser's ``name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from evidence_intake.errors import NotFoundError
from evidence_intake.parsers.base import Parser, check_metadata

GROUP = "evidence_intake.parsers"


@dataclass(frozen=True, slots=True)
class ParserInfo:
    """A loaded parser and where it came from."""

    cls: type[Parser]
    distribution: str  # "evidence-intake", or the plugin's distribution name
    distribution_version: str
    entry_point: str  # "evidence_intake.parsers.android.sms:AndroidSmsParser"

    @property
    def name(self) -> str:
        return self.cls.name

    @property
    def version(self) -> str:
        return self.cls.version

    @property
    def builtin(self) -> bool:
        return self.distribution == "evidence-intake"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.cls.name,
            "version": self.cls.version,
            "title": self.cls.title,
            "kinds": self.cls.kind_names(),
            "globs": list(self.cls.globs),
            "schemas": [s.name for s in self.cls.schemas],
            "required_tables": self.cls.required_tables(),
            "references": list(self.cls.references),
            "limitations": self.cls.limitations,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "entry_point": self.entry_point,
        }


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """An entry point that could not be used, and why."""

    name: str
    entry_point: str
    distribution: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "entry_point": self.entry_point,
            "distribution": self.distribution,
            "error": self.error,
        }


class ParserRegistry:
    def __init__(self, parsers: Iterable[ParserInfo] = (), failures: Iterable[LoadFailure] = ()) -> None:
        self._parsers: dict[str, ParserInfo] = {}
        self.failures: list[LoadFailure] = list(failures)
        for info in parsers:
            self._add(info)

    def _add(self, info: ParserInfo) -> None:
        problems = check_metadata(info.cls)
        if not problems and info.cls.name in self._parsers:
            other = self._parsers[info.cls.name]
            problems = [
                f"the name {info.cls.name!r} is already taken by {other.entry_point} ({other.distribution})"
            ]
        if problems:
            self.failures.append(
                LoadFailure(
                    name=getattr(info.cls, "name", "") or info.entry_point,
                    entry_point=info.entry_point,
                    distribution=info.distribution,
                    error="; ".join(problems),
                )
            )
            return
        self._parsers[info.cls.name] = info

    @classmethod
    def discover(cls, group: str = GROUP) -> ParserRegistry:
        """Every parser installed in this environment, built-in ones included."""
        registry = cls()
        found = sorted(
            entry_points(group=group), key=lambda ep: (_dist_name(ep) != "evidence-intake", ep.name)
        )
        for ep in found:
            dist = _dist_name(ep)
            dist_version = ep.dist.version if ep.dist is not None else ""
            try:
                loaded = ep.load()
            except Exception as exc:
                registry.failures.append(
                    LoadFailure(ep.name, ep.value, dist, f"import failed: {exc.__class__.__name__}: {exc}")
                )
                continue
            if isinstance(loaded, type) and issubclass(loaded, Parser) and loaded.name != ep.name:
                registry.failures.append(
                    LoadFailure(
                        ep.name,
                        ep.value,
                        dist,
                        f"the entry point is named {ep.name!r} but the parser calls itself {loaded.name!r}",
                    )
                )
                continue
            registry._add(ParserInfo(loaded, dist, dist_version, ep.value))
        return registry

    @classmethod
    def of(cls, *classes: type[Parser], distribution: str = "tests") -> ParserRegistry:
        """A registry of the given classes (for tests and for embedding)."""
        return cls(ParserInfo(c, distribution, "", f"{c.__module__}:{c.__qualname__}") for c in classes)

    def __iter__(self) -> Iterator[ParserInfo]:
        return iter(sorted(self._parsers.values(), key=lambda i: i.name))

    def __len__(self) -> int:
        return len(self._parsers)

    def __contains__(self, name: object) -> bool:
        return name in self._parsers

    def get(self, name: str) -> ParserInfo:
        try:
            return self._parsers[name]
        except KeyError:
            known = ", ".join(sorted(self._parsers)) or "none"
            raise NotFoundError(
                f"no parser named {name!r}",
                hint=f"known parsers: {known}; `evidence-intake parsers` lists them",
            ) from None

    def select(self, names: Iterable[str] | None) -> list[ParserInfo]:
        """The named parsers (all when ``names`` is empty or None); NotFoundError for an unknown name."""
        wanted = list(names or [])
        if not wanted:
            return list(self)
        return [self.get(n) for n in dict.fromkeys(wanted)]


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "unknown"
