"""Shared fixtures: running dbt against a throwaway warehouse, and where the shared data is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_DIR = PROJECT_DIR.parent / "shared"
REAL_EXPORT = SHARED_DIR / "data" / "user_profiles_for_ads.csv"
BAD_INPUTS = SHARED_DIR / "data" / "bad_inputs"
PEER_NOTEBOOK = SHARED_DIR / "bench" / "peer_notebook.py"


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"{path} is absent: ../shared (the real export and peer) is not beside the project"
        )
    return path


@dataclass
class DbtResult:
    returncode: int
    output: str
    database: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    def frame(self, sql: str):
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


def run_dbt(
    workdir: Path,
    command: str = "build",
    variables: dict | None = None,
    extra: list[str] | None = None,
    database: Path | None = None,
    env: dict[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> DbtResult:
    """`dbt <command>` on this project (or a copy of it), into a warehouse and target dir under
    `workdir`. `command` may be two words (`docs generate`). `env` adds environment variables;
    SEGMENTATION_USER_PROFILES_PATH and SEGMENTATION_CAMPAIGN_RESULTS_PATH are taken from it
    only, never from the environment pytest runs in."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = database or workdir / "warehouse.duckdb"
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SEGMENTATION_USER_PROFILES_PATH", "SEGMENTATION_CAMPAIGN_RESULTS_PATH")
    }
    env = {
        **inherited,
        **(env or {}),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DUCKDB_PATH": str(database),
        "SEGMENTATION_BUILD_DIR": str(workdir / "build"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [
        str(Path(sys.executable).with_name("dbt")),
        *command.split(),
        "--project-dir",
        str(project_dir),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--vars",
        json.dumps(variables or {}),
        *(extra or []),
    ]
    completed = subprocess.run(
        args, cwd=project_dir, env=env, capture_output=True, text=True, check=False
    )
    return DbtResult(completed.returncode, completed.stdout + completed.stderr, database)


def build_and_publish(workdir: Path, variables: dict | None = None, **options) -> DbtResult:
    """What `make build` runs: `dbt build`, then, if it passed, the publisher. The result fails
    if either does; its output holds both."""
    result = run_dbt(workdir, variables=variables, **options)
    if not result.ok:
        return result
    published = run_publish(result.database)
    return DbtResult(
        published.returncode,
        result.output + published.stdout + published.stderr,
        result.database,
    )


def run_publish(
    database: Path, extra: list[str] | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`python -m segmentation.publish --db <database>` (what `make build` runs after `dbt
    build`), from the project folder as make runs it."""
    return subprocess.run(
        [sys.executable, "-m", "segmentation.publish", "--db", str(database), *(extra or [])],
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> DbtResult:
    """`dbt build` on the embedded demo seed, once per session."""
    result = run_dbt(tmp_path_factory.mktemp("demo"))
    assert result.ok, result.output[-5000:]
    return result


@pytest.fixture(scope="session")
def real_export_build(tmp_path_factory) -> DbtResult:
    """`dbt build` on ../shared's real export through user_profiles_path."""
    path = require_shared(REAL_EXPORT)
    result = run_dbt(tmp_path_factory.mktemp("real"), variables={"user_profiles_path": str(path)})
    assert result.ok, result.output[-5000:]
    return result
