"""Rows of the lift mart `fct_campaign_lift`, with the columns of issue 17's spec, for the tests
of the report and the summary (which read the mart, not make it). Two campaigns: `demo_launch`
with one segment of each kind of result (a segment with no results rows among them), and
`spring_sale` with a negative lift and a control arm that never converted.

The figures are chosen, not computed: each verdict follows the spec's rules from its own row
(fewer than 30 users in an arm, or an interval over 0 with an MDE above 0.02: too small to
tell), so that the tests' expected text can be read off these rows."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

LIFT_COLUMNS = (
    "campaign_key", "segment_id", "segment_name", "verdict", "treatment_users", "control_users",
    "treatment_click_rate", "control_click_rate", "treatment_conversion_rate",
    "control_conversion_rate", "conversion_lift", "conversion_relative_lift",
    "conversion_lift_ci_lower", "conversion_lift_ci_upper", "conversion_lift_p_value",
    "minimum_detectable_effect", "treatment_revenue_per_user", "control_revenue_per_user",
)  # fmt: skip

_ROWS = [
    # key, id, name, verdict, users t/c, click t/c, conversion t/c, lift, relative, ci, p, mde
    ("demo_launch", 1, "Weekend Warriors", "lift", 9000, 1000, 0.30, 0.0, 0.110, 0.050,
     0.060, 1.2, 0.0448, 0.0752, 0.000001, 0.0210),
    ("demo_launch", 2, "Night Owls", "no detectable lift", 18000, 2000, 0.25, 0.0, 0.051,
     0.050, 0.001, 0.02, -0.0093, 0.0113, 0.85, 0.0144),
    ("demo_launch", 3, "Bargain Hunters", "too small to tell", 250, 25, 0.2, 0.0, 0.048,
     0.040, 0.008, 0.2, -0.0717, 0.0877, 0.86, 0.117),
    ("demo_launch", 4, "Low-Key Users", "too small to tell", 0, 0, None, None, None, None,
     None, None, None, None, None, None),
    ("demo_launch", 5, "Silver Surfers", "too small to tell", 400, 45, 0.2, 0.0, 0.030,
     0.0889, -0.0589, -0.6625, -0.1429, 0.0251, 0.051, 0.118),
    ("spring_sale", 1, "Weekend Warriors", "negative lift", 5000, 5000, 0.3, 0.0, 0.040,
     0.060, -0.020, -0.3333, -0.0285, -0.0115, 0.000003, 0.0128),
    ("spring_sale", 2, "Night Owls", "too small to tell", 40, 10, 0.3, 0.0, 0.050, 0.0, 0.050,
     None, -0.0175, 0.1175, 0.46, 0.18),
]  # fmt: skip


def lift_rows() -> list[dict[str, Any]]:
    """The rows as dicts of every spec column (no revenue: the results had none)."""
    return [dict(zip(LIFT_COLUMNS, (*row, None, None), strict=True)) for row in _ROWS]


def create_lift_table(
    connection: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]] | None = None
) -> None:
    """`fct_campaign_lift` in `connection`, typed as the mart is (counts bigint, rates double),
    from `rows` (default: lift_rows(); an empty list makes an empty table)."""
    rows = lift_rows() if rows is None else rows
    types = {
        name: "varchar" if name in ("campaign_key", "segment_name", "verdict")
        else "integer" if name == "segment_id"
        else "bigint" if name.endswith("_users")
        else "double"
        for name in LIFT_COLUMNS
    }  # fmt: skip
    connection.register("lift_frame", pd.DataFrame(rows, columns=list(LIFT_COLUMNS)))
    columns = ", ".join(f"{name}::{kind} as {name}" for name, kind in types.items())
    connection.execute(f"create table fct_campaign_lift as select {columns} from lift_frame")
    connection.unregister("lift_frame")
