"""The domain catalogue: every metric, trait and export column, defined once.

The definition is var ``catalogue`` of ``dbt_project.yml`` (with vars ``vocabularies`` and
``interests``), so that dbt's macros read it with ``var()`` at compile time and Python reads it
here: from the project file (:func:`load`) when it runs without dbt (pytest, the report, the
build summary), from its model config when a dbt Python model passes it on
(:meth:`Catalogue.from_vars` on the vars the config holds). A malformed entry raises
:class:`CatalogueError` naming the var and the entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

#: The dbt project this package belongs to (python/segmentation/ -> the project folder).
PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"

METRIC_KINDS = ("export", "derived", "band")
COLUMN_TYPES = ("text", "list", "category", "bigint", "double")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class CatalogueError(ValueError):
    """The catalogue (var catalogue, vocabularies or interests) is malformed."""


@dataclass(frozen=True)
class Metric:
    """A numeric column of int_user_features; see dbt_project.yml's comments on each key."""

    name: str
    label: str
    unit: str
    kind: str
    profiled: bool = False
    naming_label: str | None = None
    percentile_ranked: bool = False
    histogram: bool = False
    described_order: int | None = None
    described_as: str | None = None


@dataclass(frozen=True)
class Trait:
    """A categorical column with a vocabulary, profiled by its modal value."""

    name: str
    label: str


@dataclass(frozen=True)
class ExportColumn:
    """A column of the platform's export."""

    header: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def normalize_header(name: str) -> str:
    """A header as it is compared (macro normalize_header): byte-order mark dropped, lower case,
    underscores and runs of whitespace turned into one space, trimmed."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").lower().replace("_", " ")).strip()


@dataclass(frozen=True)
class Catalogue:
    metrics: tuple[Metric, ...]
    traits: tuple[Trait, ...]
    export_columns: tuple[ExportColumn, ...]
    vocabularies: Mapping[str, tuple[str, ...]]
    interests: tuple[str, ...]

    @classmethod
    def from_vars(cls, variables: Mapping[str, Any] | str) -> Catalogue:
        """The catalogue from dbt vars (a mapping holding ``catalogue``, ``vocabularies`` and
        ``interests``, or the JSON text of one, as a Python model's config holds it), validated."""
        if isinstance(variables, str):
            variables = json.loads(variables)
        for key in ("catalogue", "vocabularies", "interests"):
            if key not in variables:
                raise CatalogueError(f"var {key} is not set")
        vocabularies = _vocabularies(variables["vocabularies"])
        interests = _strings(variables["interests"], "var interests")
        entries = variables["catalogue"]
        if not isinstance(entries, Mapping):
            raise CatalogueError("var catalogue must map metrics, traits and export_columns")
        catalogue = cls(
            metrics=tuple(
                _metric(entry, f"var catalogue, metrics[{i}]")
                for i, entry in enumerate(_entries(entries, "metrics"))
            ),
            traits=tuple(
                _trait(entry, f"var catalogue, traits[{i}]", vocabularies)
                for i, entry in enumerate(_entries(entries, "traits"))
            ),
            export_columns=tuple(
                _export_column(entry, f"var catalogue, export_columns[{i}]", vocabularies)
                for i, entry in enumerate(_entries(entries, "export_columns"))
            ),
            vocabularies=vocabularies,
            interests=interests,
        )
        catalogue._check_unique()
        return catalogue

    def _check_unique(self) -> None:
        for section, names in (
            ("metrics", [m.name for m in self.metrics]),
            ("traits", [t.name for t in self.traits]),
            ("export_columns", [c.name for c in self.export_columns]),
            ("export_columns", [c.header for c in self.export_columns]),
            ("metrics (described.order)", [m.described_order for m in self.described_metrics]),
        ):
            repeated = sorted({str(n) for n in names if names.count(n) > 1})
            if repeated:
                raise CatalogueError(f"var catalogue, {section}: repeated {', '.join(repeated)}")
        owners: dict[str, str] = {}
        for column in self.export_columns:
            for spelling in self.spellings(column):
                if owners.setdefault(spelling, column.name) != column.name:
                    raise CatalogueError(
                        f"var catalogue, export_columns: spelling '{spelling}' is accepted for "
                        f"both {owners[spelling]} and {column.name}"
                    )

    @property
    def profiled_metrics(self) -> tuple[str, ...]:
        """Metrics a segment profile gives a mean, median and index for, in catalogue order
        (also the tie-break order of naming's strongest trait)."""
        return tuple(m.name for m in self.metrics if m.profiled)

    @property
    def percentile_ranked_metrics(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics if m.percentile_ranked)

    @property
    def histogram_metrics(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics if m.histogram)

    @property
    def naming_labels(self) -> dict[str, str]:
        """Profiled metric -> the word of a strongest-trait name (High-<word>)."""
        return {m.name: m.naming_label for m in self.metrics if m.naming_label}

    @property
    def described_metrics(self) -> tuple[Metric, ...]:
        """Metrics given a level word in a segment's description, in description order."""
        described = [m for m in self.metrics if m.described_order is not None]
        return tuple(sorted(described, key=lambda m: m.described_order or 0))

    @property
    def labels(self) -> dict[str, str]:
        """Metric or trait -> how charts and docs call it."""
        return {item.name: item.label for item in (*self.metrics, *self.traits)}

    def spellings(self, column: ExportColumn) -> tuple[str, ...]:
        """Every header accepted for an export column, normalised, without repeats."""
        found = [normalize_header(s) for s in (column.header, column.name, *column.aliases)]
        return tuple(dict.fromkeys(found))


def project_vars(path: Path = PROJECT_FILE) -> dict[str, Any]:
    """The vars of a dbt project file, as written (defaults, no --vars)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["vars"]


@cache
def load(path: Path = PROJECT_FILE) -> Catalogue:
    """The catalogue of the project file (this package's project by default)."""
    return Catalogue.from_vars(project_vars(path))


def _entries(catalogue: Mapping[str, Any], section: str) -> Sequence[Mapping[str, Any]]:
    entries = catalogue.get(section)
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise CatalogueError(f"var catalogue, {section} must be a list of mappings")
    return entries


def _known_keys(entry: Mapping[str, Any], where: str, known: set[str]) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise CatalogueError(
            f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def _text(entry: Mapping[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {key} must be non-empty text, got {value!r}")
    return value


def _flag(entry: Mapping[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise CatalogueError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def _identifier(entry: Mapping[str, Any], where: str) -> str:
    name = _text(entry, "name", where)
    if not _NAME.fullmatch(name or ""):
        raise CatalogueError(f"{where}: name must be a snake_case column name, got {name!r}")
    return name  # type: ignore[return-value]


def _metric(entry: Mapping[str, Any], where: str) -> Metric:
    _known_keys(
        entry,
        where,
        {"name", "label", "unit", "kind", "profiled", "naming_label", "percentile_ranked"}
        | {"histogram", "described"},
    )
    name = _identifier(entry, where)
    where = f"{where} ({name})"
    kind = _text(entry, "kind", where)
    if kind not in METRIC_KINDS:
        known = ", ".join(METRIC_KINDS)
        raise CatalogueError(f"{where}: kind must be one of {known}, got {kind!r}")
    profiled = _flag(entry, "profiled", where)
    naming_label = _text(entry, "naming_label", where, required=False)
    if profiled != (naming_label is not None):
        raise CatalogueError(
            f"{where}: a profiled metric needs a naming_label (its word in a strongest-trait "
            "name), and only a profiled one has an index to name a segment by"
        )
    described = entry.get("described")
    order, phrase = None, None
    if described is not None:
        if not isinstance(described, Mapping) or set(described) != {"order", "as"}:
            raise CatalogueError(f"{where}: described must be {{order: <n>, as: <words>}}")
        order, phrase = described["order"], _text(described, "as", f"{where}, described")
        if not isinstance(order, int) or isinstance(order, bool):
            raise CatalogueError(f"{where}: described.order must be a whole number")
        if not profiled:
            raise CatalogueError(f"{where}: only a profiled metric (with an index) is described")
    return Metric(
        name=name,
        label=_text(entry, "label", where),  # type: ignore[arg-type]
        unit=_text(entry, "unit", where),  # type: ignore[arg-type]
        kind=kind,
        profiled=profiled,
        naming_label=naming_label,
        percentile_ranked=_flag(entry, "percentile_ranked", where),
        histogram=_flag(entry, "histogram", where),
        described_order=order,
        described_as=phrase,
    )


def _trait(
    entry: Mapping[str, Any], where: str, vocabularies: Mapping[str, tuple[str, ...]]
) -> Trait:
    _known_keys(entry, where, {"name", "label"})
    name = _identifier(entry, where)
    if name not in vocabularies:
        raise CatalogueError(f"{where} ({name}): a trait needs a vocabulary in var vocabularies")
    return Trait(name=name, label=_text(entry, "label", f"{where} ({name})"))  # type: ignore[arg-type]


def _export_column(
    entry: Mapping[str, Any], where: str, vocabularies: Mapping[str, tuple[str, ...]]
) -> ExportColumn:
    _known_keys(entry, where, {"header", "name", "type", "aliases", "min", "max"})
    name = _identifier(entry, where)
    where = f"{where} ({name})"
    header = _text(entry, "header", where)
    kind = entry.get("type")
    if kind not in COLUMN_TYPES:
        known = ", ".join(COLUMN_TYPES)
        raise CatalogueError(f"{where}: type must be one of {known}, got {kind!r}")
    if kind == "category" and name not in vocabularies:
        raise CatalogueError(f"{where}: a category column needs a vocabulary in var vocabularies")
    bounds = {key: entry.get(key) for key in ("min", "max")}
    for key, value in bounds.items():
        if value is None:
            continue
        if kind not in ("bigint", "double"):
            raise CatalogueError(f"{where}: only a bigint or double column has a {key}")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise CatalogueError(f"{where}: {key} must be a number, got {value!r}")
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        raise CatalogueError(f"{where}: min {low} is above max {high}")
    return ExportColumn(
        header=header,  # type: ignore[arg-type]
        name=name,
        type=kind,
        aliases=_strings(entry.get("aliases", []), f"{where}: aliases"),
        minimum=low,
        maximum=high,
    )


def _strings(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise CatalogueError(f"{where} must be a list of non-empty texts, got {values!r}")
    return tuple(values)


def _vocabularies(values: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(values, Mapping):
        raise CatalogueError("var vocabularies must be a mapping of column to values")
    return {
        str(column): _strings(words, f"var vocabularies, {column}")
        for column, words in values.items()
    }
