"""The table `make build` prints: the segments found and where the warehouse is.

    python -m segmentation.summary [--db PATH]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

DEFAULT_DATABASE = "warehouse/segmentation.duckdb"


def database_path() -> Path:
    """The warehouse file dbt writes: $SEGMENTATION_DUCKDB_PATH, else the project default."""
    return Path(os.environ.get("SEGMENTATION_DUCKDB_PATH", DEFAULT_DATABASE)).resolve()


def segment_table(connection: duckdb.DuckDBPyConnection) -> str:
    """dim_segments as a fixed-width text table, largest segment first."""
    rows = connection.sql(
        """
        select
            segment_id,
            segment_name,
            users,
            share,
            modal_age_band,
            modal_gender,
            modal_income_band,
            weekend_share_of_hours_online_index,
            likes_and_reactions_index,
            click_through_rate_index,
        from dim_segments
        order by users desc, segment_id
        """
    ).fetchall()
    header = ("id", "segment", "users", "share", "age", "gender", "income",
              "weekend idx", "likes idx", "ctr idx")
    cells = [
        (
            str(row[0]), row[1], f"{row[2]:,}", f"{row[3]:.1%}", row[4], row[5], row[6],
            *(f"{value:.0f}" if value is not None else "-" for value in row[7:]),
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(str(value).ljust(width) for value, width in zip(line, widths, strict=True))
             for line in [header, *cells]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="warehouse file (default: as dbt)")
    args = parser.parse_args(argv)
    path = args.db or database_path()
    with duckdb.connect(str(path), read_only=True) as connection:
        users = connection.sql("select count(*) from fct_user_segments").fetchall()[0][0]
        print(f"\nSegments of {users:,} users (index: 100 = population average)\n")
        print(segment_table(connection))
    print(f"\nWarehouse: {path}")
    print("Marts: dim_segments, fct_user_segments, segment_interests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
