"""The staging models as dbt compiles them, run in DuckDB on one input file at a time.

A full `dbt build` takes ~30 s, too slow for a property test that tries many inputs. dbt compiles
the five staging models once, for a template CSV with the export's header; each input is then
staged by running that compiled SQL, with the template's path swapped for the input's, in a
fresh in-memory DuckDB. That is the SQL a build runs (the same macros, vocabularies and rules),
without dbt's start-up, tests and the models downstream. The header must be the export's own
(`EXPORT_COLUMNS`): the column mapping is compiled in.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from conftest import run_dbt
from segmentation.schema import EXPORT_COLUMNS

# In dependency order: each is created from the ones before it.
STAGING_MODELS = (
    "base_platform__user_profile_rows",
    "base_platform__user_profile_duplicates",
    "base_platform__user_profiles",
    "stg_platform__user_profiles",
    "stg_platform__user_profiles_rejected",
)


@dataclass(frozen=True)
class CompiledModel:
    name: str
    relation: str
    materialized: str
    sql: str


@dataclass(frozen=True)
class Staged:
    """What staging made of one input: valid users and rejected rows, keyed by position."""

    valid: dict[int, dict]
    rejected: dict[int, list[str]]
    input_rows: int
    unreadable_lines: int


def write_export(path: Path, rows: list[list[str]], header=EXPORT_COLUMNS) -> Path:
    """A CSV as an export would write it (RFC 4180 quoting, CRLF line ends)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


class StagingSQL:
    def __init__(self, workdir: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        # A short second row: the read compiled for the template is the one-thread read, which
        # every input can take (csv_reads_in_parallel would pick the parallel read for a file
        # without short rows or quoted line breaks, and that read stops on one with both).
        self.template = write_export(workdir / "template.csv", [["1"] + [""] * 15, ["2"]])
        result = run_dbt(
            workdir / "dbt",
            command="compile",
            variables={"user_profiles_path": str(self.template)},
            extra=["--select", " ".join(STAGING_MODELS), "--indirect-selection", "empty"],
        )
        assert result.ok, result.output[-3000:]
        manifest = json.loads((workdir / "dbt" / "target" / "manifest.json").read_text())
        nodes = {node["name"]: node for node in manifest["nodes"].values()}
        self.models = [
            CompiledModel(
                name,
                nodes[name]["relation_name"],
                nodes[name]["config"]["materialized"],
                nodes[name]["compiled_code"],
            )
            for name in STAGING_MODELS
        ]
        self.database = self.models[0].relation.split(".")[0].strip('"')
        self.literal = "'" + str(self.template).replace("'", "''") + "'"
        assert self.literal in self.models[0].sql, "the template's path is not in the SQL"
        assert "parallel = false" in self.models[0].sql, "the template is read on every core"

    def stage(self, path: Path) -> Staged:
        literal = "'" + str(path).replace("'", "''") + "'"
        with duckdb.connect() as connection:
            connection.execute(f"attach ':memory:' as \"{self.database}\"")
            connection.execute(f'use "{self.database}"')
            for model in self.models:
                kind = "view" if model.materialized == "view" else "table"
                sql = model.sql.replace(self.literal, literal)
                connection.execute(f"create {kind} {model.relation} as {sql}")
            unreadable = connection.sql(
                "select count(*) from temp.main.user_profiles_read_errors"
            ).fetchall()[0][0]
            valid = connection.sql(
                "select source_row_number, user_id, gender, interest_names "
                "from stg_platform__user_profiles"
            ).fetchall()
            rejected = connection.sql(
                "select source_row_number, rejection_reasons "
                "from stg_platform__user_profiles_rejected"
            ).fetchall()
            input_rows = connection.sql(
                "select count(*) from base_platform__user_profiles"
            ).fetchall()[0][0]
        valid_by_row: dict[int, dict] = {}
        for number, user_id, gender, interests in valid:
            assert number not in valid_by_row, f"row {number} is valid twice"
            valid_by_row[number] = {"user_id": user_id, "gender": gender, "interests": interests}
        rejected_by_row: dict[int, list[str]] = {}
        for number, reasons in rejected:
            assert number not in rejected_by_row, f"row {number} is rejected twice"
            rejected_by_row[number] = list(reasons)
        return Staged(valid_by_row, rejected_by_row, input_rows, unreadable)
