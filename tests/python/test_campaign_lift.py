"""Holdouts and lift, measured: the SQL arms against Python's, the control share in each segment,
the lift statistics recomputed by hand, and what the lift mart says about planted lifts over
many replications (issue 17).

One build of the generator's users with many campaign keys: each key draws its own arms and its
own results (segmentation.campaign_generator), so the keys are independent replications of one
campaign. Expected values come from statistics (binomial tolerances of 4 standard errors) and
from the planted lifts, never from what the models produced.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import duckdb
import pandas as pd
import pytest

from conftest import run_dbt
from jinja_macros import render_macro
from segmentation import holdouts
from segmentation.campaign_generator import PLANTED_CONVERSION_LIFTS
from segmentation.generator import write

USERS = 8000
CAMPAIGNS = [f"replica_{number:02d}" for number in range(60)]
# Larger than the default 0.10: arms of equal size (about 800 users per segment each), so that
# the minimum detectable effect is below the planted lifts (0.04, 0.06) at a modest build size.
CONTROL_SHARE = 0.5
MIN_USERS_PER_ARM = 30
MEANINGFUL_EFFECT = 0.02
Z_975 = NormalDist().inv_cdf(0.975)
Z_80 = NormalDist().inv_cdf(0.8)


def within_binomial_tolerance(hits: int, trials: int, rate: float, errors: float = 4) -> bool:
    """`hits` of `trials` is within `errors` standard errors of `rate`."""
    return abs(hits / trials - rate) <= errors * math.sqrt(rate * (1 - rate) / trials)


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    """The warehouse of a build of USERS generated users with results for every key of
    CAMPAIGNS, and each user's planted persona."""
    folder = tmp_path_factory.mktemp("lift")
    users, truth, results = folder / "users.csv", folder / "truth.csv", folder / "results.csv"
    write(
        USERS,
        users,
        seed=7,
        truth_path=truth,
        results_path=results,
        campaign_keys=CAMPAIGNS,
        control_share=CONTROL_SHARE,
    )
    # Two rows the lift cannot count: a campaign not in var campaigns, a user in no audience.
    with results.open("a", encoding="utf-8") as rows:
        rows.write("1,not_measured,true,false,true,12.5\nnobody,replica_00,true,true,false,0\n")
    variables = {
        "user_profiles_path": str(users),
        "campaign_results_path": str(results),
        "campaigns": CAMPAIGNS,
        "holdout_control_share": CONTROL_SHARE,
        "lift_min_users_per_arm": MIN_USERS_PER_ARM,
        "lift_meaningful_effect": MEANINGFUL_EFFECT,
        # What the lift needs, fast: no quality sweep or stability draws.
        "quality_sweep": False,
        "stability_subsamples": 0,
        "null_draws": 2,
    }
    selected = "+fct_campaign_lift +fct_campaign_results_rejected +fct_campaign_balance"
    result = run_dbt(
        folder,
        variables=variables,
        extra=[
            "--select",
            selected,
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "cautious",
        ],
    )
    assert result.ok, result.output[-5000:]
    personas = pd.read_csv(truth, dtype={"user_id": str})
    return result, personas


def test_sql_arms_are_pythons_for_every_user_and_campaign(replicated):
    result, _ = replicated
    frame = result.frame(
        "select campaign_key, user_id, holdout_share, arm from fct_campaign_holdouts"
    )
    assert set(frame["campaign_key"]) == set(CAMPAIGNS)
    assert len(frame) == len(CAMPAIGNS) * frame["user_id"].nunique()
    expected_arms = [
        holdouts.arm(user_id, campaign_key, CONTROL_SHARE)
        for campaign_key, user_id in zip(frame["campaign_key"], frame["user_id"], strict=True)
    ]
    assert frame["arm"].tolist() == expected_arms
    expected_shares = [
        holdouts.holdout_share(user_id, campaign_key)
        for campaign_key, user_id in zip(frame["campaign_key"], frame["user_id"], strict=True)
    ]
    assert frame["holdout_share"].tolist() == expected_shares


def test_the_control_share_is_the_var_in_every_segment(replicated):
    """The arm ignores the segment: each segment's control share is the var, up to binomial
    chance, in one campaign and over all of them."""
    result, _ = replicated
    counts = result.frame(
        "select campaign_key, segment_id, count(*) as users, "
        "sum(case when arm = 'control' then 1 else 0 end) as control_users "
        "from fct_campaign_holdouts group by 1, 2"
    )
    segments = counts["segment_id"].nunique()
    assert segments >= 3
    first = counts[counts["campaign_key"] == CAMPAIGNS[0]]
    for row in first.itertuples():
        assert within_binomial_tolerance(row.control_users, row.users, CONTROL_SHARE), row
    pooled = counts.groupby("segment_id")[["users", "control_users"]].sum()
    for segment_id, row in pooled.iterrows():
        assert within_binomial_tolerance(row.control_users, row.users, CONTROL_SHARE), segment_id


def test_the_lift_statistics_are_the_textbook_formulas(replicated):
    """Every row's interval, p-value and minimum detectable effect, recomputed in Python from
    its sizes and rates (statistics.NormalDist for the normal distribution)."""
    result, _ = replicated
    lift = result.frame("select * from fct_campaign_lift")
    assert len(lift) >= 3 * len(CAMPAIGNS)
    for row in lift.itertuples():
        n_t, n_c = row.treatment_users, row.control_users
        p_t, p_c = row.treatment_conversion_rate, row.control_conversion_rate
        difference = p_t - p_c
        unpooled = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        pooled_rate = (p_t * n_t + p_c * n_c) / (n_t + n_c)
        pooled = math.sqrt(pooled_rate * (1 - pooled_rate) * (1 / n_t + 1 / n_c))
        p_value = 2 * (1 - NormalDist().cdf(abs(difference / pooled))) if pooled else 1.0
        assert row.conversion_lift == pytest.approx(difference, abs=1e-12)
        assert row.conversion_lift_ci_lower == pytest.approx(
            difference - Z_975 * unpooled, abs=1e-9
        )
        assert row.conversion_lift_ci_upper == pytest.approx(
            difference + Z_975 * unpooled, abs=1e-9
        )
        assert row.conversion_lift_p_value == pytest.approx(p_value, abs=1e-6)
        assert row.minimum_detectable_effect == pytest.approx((Z_975 + Z_80) * pooled, abs=1e-9)
        if p_c > 0:
            assert row.conversion_relative_lift == pytest.approx(difference / p_c, rel=1e-9)
        if n_t < MIN_USERS_PER_ARM or n_c < MIN_USERS_PER_ARM or pooled == 0:
            expected = "too small to tell"
        elif difference - Z_975 * unpooled > 0:
            expected = "lift"
        elif difference + Z_975 * unpooled < 0:
            expected = "negative lift"
        elif (Z_975 + Z_80) * pooled > MEANINGFUL_EFFECT:
            expected = "too small to tell"
        else:
            expected = "no detectable lift"
        assert row.verdict == expected, row


def _segment_true_lifts(result, personas: pd.DataFrame) -> pd.Series:
    """The lift planted in each segment: its members' planted lifts, averaged (the arms are
    random, so that is the expected difference of the two arms' conversion rates)."""
    members = result.frame(
        f"select segment_id, user_id from fct_campaign_holdouts "
        f"where campaign_key = '{CAMPAIGNS[0]}'"
    )
    members = members.merge(personas, on="user_id", how="left", validate="one_to_one")
    planted = members["persona_name"].map(PLANTED_CONVERSION_LIFTS).fillna(0.0)
    return planted.groupby(members["segment_id"]).mean()


def test_the_planted_lift_is_recovered_inside_the_interval(replicated):
    """Over every campaign key and segment, the 95% interval holds the planted lift about 95%
    of the time (binomial tolerance); segments with a real lift are mostly called `lift`, at
    sizes where the minimum detectable effect is below it."""
    result, personas = replicated
    true_lifts = _segment_true_lifts(result, personas)
    # The segments recover the personas: some carry a real lift, some none.
    assert (true_lifts >= 0.035).sum() >= 2 and (true_lifts <= 0.005).sum() >= 2, true_lifts
    lift = result.frame("select * from fct_campaign_lift")
    lift["planted"] = lift["segment_id"].map(true_lifts)
    covered = (lift["conversion_lift_ci_lower"] <= lift["planted"]) & (
        lift["planted"] <= lift["conversion_lift_ci_upper"]
    )
    assert within_binomial_tolerance(int(covered.sum()), len(lift), 0.95), covered.mean()
    real = lift[lift["planted"] >= 0.035]
    # At these sizes a segment's minimum detectable effect (it varies a little with each
    # draw's conversion rate) is below its planted lift.
    typical = real.groupby("segment_id")[["minimum_detectable_effect", "planted"]].mean()
    assert (typical["minimum_detectable_effect"] < typical["planted"]).all(), typical
    assert (real["verdict"] == "lift").mean() >= 0.8, real["verdict"].value_counts()
    assert not (real["verdict"] == "negative lift").any()


def test_a_segment_without_lift_is_significant_at_about_the_nominal_rate(replicated):
    """Segments with no planted lift: over the campaign keys (independent replications), the
    p-value is below 0.05 in about 5% of them, and a `lift` verdict is as rare."""
    result, personas = replicated
    true_lifts = _segment_true_lifts(result, personas)
    null_segments = [int(s) for s in true_lifts.index[true_lifts <= 0.005]]
    lift = result.frame("select * from fct_campaign_lift")
    null = lift[lift["segment_id"].isin(null_segments)]
    assert len(null) == len(null_segments) * len(CAMPAIGNS) >= 2 * len(CAMPAIGNS)
    significant = int((null["conversion_lift_p_value"] < 0.05).sum())
    assert within_binomial_tolerance(significant, len(null), 0.05), significant / len(null)
    called = int(null["verdict"].isin(["lift", "negative lift"]).sum())
    assert within_binomial_tolerance(called, len(null), 0.05), called / len(null)


def test_every_results_row_is_counted_or_rejected(replicated):
    result, _ = replicated
    counted = result.query(
        "select count(*) from int_campaign_results_matched where rejection_reason is null"
    )[0][0]
    lift_users = result.query("select sum(treatment_users + control_users) from fct_campaign_lift")[
        0
    ][0]
    # The generator's users are all valid and every one is in an audience (no privacy floor
    # at these sizes): every generated row is counted, and only the two rows added are not.
    assert counted == lift_users == USERS * len(CAMPAIGNS)
    rejected = result.query(
        "select source_row_number, campaign_key, user_id, rejection_reasons, rejected_at "
        "from fct_campaign_results_rejected order by 1"
    )
    first = USERS * len(CAMPAIGNS) + 1
    assert rejected == [
        (first, "not_measured", "1", "unknown_campaign", "measurement"),
        (first + 1, "replica_00", "nobody", "not_in_audience", "measurement"),
    ]


@pytest.mark.parametrize(
    "x", [-40.0, -6.0, -3.0, -1.959963984540054, -0.5, 0.0, 0.3, 1.0, 2.5, 8.0, 40.0]
)
def test_normal_cdf_macro_is_the_normal_distribution(x):
    """The portable approximation of macro normal_cdf, within 1e-7 of Φ everywhere."""
    sql = render_macro("normal_cdf.sql", "normal_cdf", "x")
    with duckdb.connect() as connection:
        value = connection.sql(f"select {sql} from (select {x!r}::double as x)").fetchall()[0][0]
    assert value == pytest.approx(NormalDist().cdf(x), abs=1e-7)
    assert 0 <= value <= 1


def test_normal_cdf_macro_of_no_value_is_no_value():
    """Φ(null) is null: an arm without users has no z, and must get no p-value (a clamp with
    least() skipped the null and gave Φ(37), so a p-value of 2)."""
    sql = render_macro("normal_cdf.sql", "normal_cdf", "x")
    with duckdb.connect() as connection:
        value = connection.sql(f"select {sql} from (select null::double as x)").fetchall()[0][0]
    assert value is None
