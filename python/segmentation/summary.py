"""The table `make build` prints: the segments found and where the warehouse is, and a line per
campaign measured (fct_campaign_lift; README "Measuring a campaign").

python -m segmentation.summary [--db PATH]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

from segmentation.naming import label, run_caveat

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
            name_qualifier,
            users,
            share,
            modal_age_band,
            modal_gender,
            modal_income_band,
            weekend_share_of_hours_online_index,
            likes_and_reactions_index,
            click_through_rate_index,
            stability_jaccard,
        from dim_segments
        order by users desc, segment_id
        """
    ).fetchall()
    header = (
        "id",
        "segment",
        "users",
        "share",
        "age",
        "gender",
        "income",
        "weekend idx",
        "likes idx",
        "ctr idx",
        "stability",
    )
    cells = [
        (
            str(row[0]),
            label(row[1], row[2]),
            f"{row[3]:,}",
            f"{row[4]:.1%}",
            row[5],
            row[6],
            row[7],
            *(f"{value:.0f}" if value is not None else "-" for value in row[8:11]),
            f"{row[11]:.2f}" if row[11] is not None else "-",
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(str(value).ljust(width) for value, width in zip(line, widths, strict=True))
        for line in [header, *cells]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run_summary(connection: duckdb.DuckDBPyConnection) -> str:
    """The latest run: how k was chosen, the structure verdict and the numbers behind it."""
    run = connection.sql(
        """
        select
            n_clusters, refit_reason, structure_verdict, silhouette, null_silhouette_mean,
            structure_z_score, stability_ari, fit_rows, input_rows,
        from dim_segmentation_runs
        where is_latest
        """
    ).fetchall()
    if not run:
        return "No fitted run yet."
    k, reason, verdict, real, null, z, ari, fit_rows, input_rows = run[0]
    text = (
        f"Run: {k} segments fitted on {fit_rows:,} of {input_rows:,} users ({reason}).\n"
        f"Structure verdict: {verdict.upper()} (silhouette {figure(real, '.3f')} vs "
        f"{figure(null, '.3f')} on structureless data, z = {figure(z, '.1f')}); stability: "
        f"mean ARI {figure(ari, '.2f')} over refits on 80% subsamples. "
        "See README 'Reading the verdict'."
    )
    return text + "".join(f"\n{line}" for line in [segments_caveat(connection)] if line)


def figure(value: float | None, spec: str) -> str:
    """A quality figure as text; '-' when there is none (e.g. no stability ARI for a handful of
    users: an 80% subsample can be smaller than the number of segments)."""
    if value is None or value != value:
        return "-"
    return format(value, spec)


# Reasons listed in the input line, most frequent first; the rest are counted.
REASONS_SHOWN = 5


def input_summary(connection: duckdb.DuckDBPyConnection, path: Path) -> str:
    """How many input rows were read, valid and rejected (per reason), and where the rejected
    rows are: one line, or two when rows were rejected."""
    input_rows, rejected = connection.sql(
        "select count(*), count(*) filter (where len(rejection_reasons) > 0) "
        "from base_platform__user_profiles"
    ).fetchall()[0]
    if rejected == 0:
        return f"Input: {input_rows:,} rows, all valid."
    per_reason = connection.sql(
        """
        select reason, count(*) as rows
        from (select unnest(rejection_reasons) as reason from stg_platform__user_profiles_rejected)
        group by 1
        order by 2 desc, 1
        """
    ).fetchall()
    shown = [f"{reason} {rows:,}" for reason, rows in per_reason[:REASONS_SHOWN]]
    if len(per_reason) > REASONS_SHOWN:
        shown.append(f"{len(per_reason) - REASONS_SHOWN} more reasons")
    reasons = ", ".join(shown)
    return (
        f"Input: {input_rows:,} rows, {input_rows - rejected:,} valid, {rejected:,} rejected "
        f"({rejected / input_rows:.1%}; {reasons}).\n"
        f"Rejected rows and their reasons: stg_platform__user_profiles_rejected, e.g. "
        f"duckdb -readonly '{path}' \"from stg_platform__user_profiles_rejected\""
    )


def segments_caveat(connection: duckdb.DuckDBPyConnection) -> str | None:
    """What the names' qualifiers mean for the segments in dim_segments (naming Rule 6)."""
    verdict, segments, unstable, unmeasured = connection.sql(
        "select any_value(structure_verdict), count(*), count(*) filter (where is_unstable), "
        "count(*) filter (where stability_jaccard is null or isnan(stability_jaccard)) "
        "from dim_segments"
    ).fetchall()[0]
    return run_caveat(verdict, segments, unstable, unmeasured) if segments else None


#: The lift mart read for the campaign lines; a warehouse built before issue 17 has none.
LIFT_MART = "fct_campaign_lift"
#: fct_campaign_lift's verdicts, in the order a campaign's line counts them.
VERDICTS = ("lift", "negative lift", "no detectable lift", "too small to tell")


def campaign_lines(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per campaign in the lift mart, by campaign key: the users measured in each arm
    and how many of its segments got each verdict, e.g. "Campaign demo_launch: 1,000 users
    measured (903 treatment, 97 control); lift in 1 of 5 segments, no detectable lift in 1, too
    small to tell in 3." The lift count is always said; the others when not 0. No lines
    without the mart."""
    present = connection.sql(
        "select count(*) from information_schema.tables where table_name = ?",
        params=[LIFT_MART],
    ).fetchall()[0][0]
    if not present:
        return []
    rows = connection.sql(
        f"""
        select
            campaign_key,
            verdict,
            count(*) as segments,
            sum(coalesce(treatment_users, 0)) as treatment_users,
            sum(coalesce(control_users, 0)) as control_users,
        from {LIFT_MART}
        group by 1, 2
        order by 1, 2
        """
    ).fetchall()
    if not rows:
        return ["Campaigns: no campaign results."]
    campaigns: dict[str, dict[str, list[int]]] = {}
    for key, verdict, segments, treatment, control in rows:
        campaigns.setdefault(key, {})[verdict] = [segments, treatment, control]
    lines = []
    for key, verdicts in campaigns.items():
        segments = sum(counts[0] for counts in verdicts.values())
        treatment = sum(counts[1] for counts in verdicts.values())
        control = sum(counts[2] for counts in verdicts.values())
        if treatment + control == 0:
            lines.append(
                f"Campaign {key}: no users measured (no results rows for its audience); "
                f"{segments:,} segments."
            )
            continue
        counted = [f"lift in {verdicts.get('lift', [0])[0]:,} of {segments:,} segments"]
        order = [*VERDICTS, *sorted(set(verdicts) - set(VERDICTS))]
        counted += [f"{verdict} in {verdicts[verdict][0]:,}" for verdict in order[1:]
                    if verdict in verdicts]  # fmt: skip
        lines.append(
            f"Campaign {key}: {treatment + control:,} users measured ({treatment:,} treatment, "
            f"{control:,} control); {', '.join(counted)}."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="warehouse file (default: as dbt)")
    args = parser.parse_args(argv)
    path = args.db or database_path()
    with duckdb.connect(str(path), read_only=True) as connection:
        users = connection.sql("select count(*) from fct_user_segments").fetchall()[0][0]
        print(f"\nSegments of {users:,} users (index: 100 = population average)\n")
        print(segment_table(connection))
        print()
        print(run_summary(connection))
        print(input_summary(connection, path))
        campaigns = campaign_lines(connection)
        for line in campaigns:
            print(line)
    print(f"\nWarehouse: {path}")
    print(
        "Marts: dim_segments, fct_user_segments, fct_segment_interests"
        + (f", {LIFT_MART} (README 'Measuring a campaign')" if campaigns else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
