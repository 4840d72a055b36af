"""The campaign marts on the demo seed, recomputed from the warehouse with pandas: every
recommendation follows its documented rule, and the distributions add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from readme_spec import qualifier
from test_publish import CampaignBuild, build_campaigns

pytestmark = pytest.mark.dbt

# README's defaults of the campaign vars, which the demo build runs with.
SCHEDULE_INDEX_MARGIN = 5
INTEREST_MIN_USERS = 10
INTEREST_MIN_SHARE = 0.05
HISTOGRAM_BINS = 20


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> CampaignBuild:
    return build_campaigns(tmp_path_factory)


@pytest.fixture(scope="module")
def recommendations(build) -> pd.DataFrame:
    return build.result.frame("select * from rpt_segment_recommendations").set_index("segment_id")


@pytest.fixture(scope="module")
def users(build) -> pd.DataFrame:
    return build.result.frame(
        """
        select fct.user_id, fct.segment_id, fct.assignment_confidence, features.*
        from fct_user_segments as fct
        inner join int_user_features as features on fct.user_id = features.user_id
        """
    )


def test_one_recommendation_per_segment(build, recommendations):
    segments = build.result.frame(
        "select segment_id, segment_name, name_qualifier, users from dim_segments"
    )
    assert sorted(recommendations.index) == sorted(segments["segment_id"])
    joined = segments.merge(
        recommendations.reset_index(), on="segment_id", suffixes=("", "_recommended")
    )
    assert (joined["segment_name"] == joined["segment_name_recommended"]).all()
    assert (joined["users"] == joined["users_recommended"]).all()
    pd.testing.assert_series_equal(
        joined["name_qualifier"], joined["name_qualifier_recommended"], check_names=False
    )


def test_schedule_follows_the_weekday_and_weekend_indexes(build, recommendations):
    segments = build.result.frame("select * from dim_segments").set_index("segment_id")
    gap = segments["weekend_hours_online_index"] - segments["weekday_hours_online_index"]
    expected = gap.map(
        lambda g: "weekends" if g >= SCHEDULE_INDEX_MARGIN
        else "weekdays" if g <= -SCHEDULE_INDEX_MARGIN else "all week"
    )  # fmt: skip
    pd.testing.assert_series_equal(
        recommendations["schedule_on"].sort_index(), expected.sort_index(), check_names=False
    )


def test_target_device_is_the_most_over_indexed(users, recommendations):
    population = users["device_usage"].value_counts(normalize=True)
    for segment_id, members in users.groupby("segment_id"):
        index = 100 * members["device_usage"].value_counts(normalize=True) / population
        best = index.max()
        winner = sorted(index[index == best].index)[0]
        row = recommendations.loc[segment_id]
        assert row["target_device_usage"] == winner
        assert row["target_device_usage_index"] == pytest.approx(best)
        assert row["target_device_usage_share"] == pytest.approx(
            (members["device_usage"] == winner).mean()
        )


def test_top_interests_have_support_and_the_highest_lift(build, recommendations):
    interests = build.result.frame("select * from fct_segment_interests")
    eligible = interests[
        (interests["users"] >= INTEREST_MIN_USERS)
        & (interests["share_of_segment"] >= INTEREST_MIN_SHARE)
        & (interests["lift"] > 1)
    ]
    for segment_id, row in recommendations.iterrows():
        candidates = eligible[eligible["segment_id"] == segment_id].sort_values(
            ["lift", "users", "interest_name"], ascending=[False, False, True]
        )
        expected = candidates["interest_name"].head(3).tolist()
        chosen = [row[f"top_interest_{n}"] for n in (1, 2, 3) if row[f"top_interest_{n}"]]
        assert chosen == expected
        if expected:
            assert row["top_interests"] == ", ".join(expected)
            assert f"lead with {', '.join(expected)}" in row["recommendation"]
        else:
            assert "no interest stands out" in row["recommendation"]


def test_expected_rates_are_indexed_against_the_population(users, recommendations):
    for metric, expected_column, population_column, index_column in [
        ("click_through_rate", "expected_click_through_rate",
         "population_click_through_rate", "click_through_rate_index"),
        ("conversion_rate", "expected_conversion_rate",
         "population_conversion_rate", "conversion_rate_index"),
    ]:  # fmt: skip
        population = users[metric].mean()
        by_segment = users.groupby("segment_id")[metric].mean()
        for segment_id, row in recommendations.iterrows():
            assert row[expected_column] == pytest.approx(by_segment[segment_id])
            assert row[population_column] == pytest.approx(population)
            assert row[index_column] == pytest.approx(100 * by_segment[segment_id] / population)


def test_reachable_users_are_the_audiences(build, recommendations):
    audiences = build.result.frame(
        "select segment_id, count(*) as users from fct_campaign_audiences group by 1"
    )
    counts = audiences.set_index("segment_id")["users"]
    for segment_id, row in recommendations.iterrows():
        assert row["reachable_users"] == counts.get(segment_id, 0)
        assert row["share_of_reachable_users"] == pytest.approx(
            counts.get(segment_id, 0) / counts.sum()
        )
    assert recommendations["share_of_reachable_users"].sum() == pytest.approx(1)


def test_the_sentence_states_the_numbers(build, recommendations):
    segments = build.result.frame("select * from dim_segments").set_index("segment_id")
    for segment_id, row in recommendations.iterrows():
        text = row["recommendation"]
        schedule = (
            "Schedule all week"
            if row["schedule_on"] == "all week"
            else f"Schedule on {row['schedule_on']}"
        )
        # README "Names carry the verdict": a qualified name's sentence starts with a caution.
        words = qualifier(
            segments.loc[segment_id, "structure_verdict"],
            segments.loc[segment_id, "stability_jaccard"],
        )
        caution = f"Caution: {words}. " if words else ""
        assert text.startswith(caution + schedule + "; ")
        assert (
            f"target {row['target_device_usage']} (index {row['target_device_usage_index']:.0f})"
            in text
        )
        assert (
            f"expected CTR {row['expected_click_through_rate']:.3f} "
            f"(index {row['click_through_rate_index']:.0f})"
        ) in text
        assert f"conversion rate {row['expected_conversion_rate']:.3f}" in text


def test_distributions_add_up_to_the_population(build, users):
    distributions = build.result.frame("select * from rpt_user_base_distributions")
    for attribute, rows in distributions.groupby("attribute_name"):
        assert rows["users"].sum() == len(users), attribute
        assert rows["share"].sum() == pytest.approx(1), attribute
        if rows["distribution_kind"].iloc[0] == "category":
            counts = users[attribute].value_counts()
            assert dict(zip(rows["value_label"], rows["users"], strict=True)) == counts.to_dict()
        else:
            ordered = rows.sort_values("value_position")
            assert ordered["value_position"].tolist() == list(range(1, HISTOGRAM_BINS + 1))
            assert ordered["bin_lower"].iloc[0] == pytest.approx(users[attribute].min())
            assert ordered["bin_upper"].iloc[-1] == pytest.approx(users[attribute].max())
            assert ordered["bin_lower"].iloc[1:].to_numpy() == pytest.approx(
                ordered["bin_upper"].iloc[:-1].to_numpy()
            )
            # Bin k (from 1) holds min + (k - 1) × width <= value < min + k × width; the
            # maximum is in the last bin.
            low, high = users[attribute].min(), users[attribute].max()
            positions = np.minimum(
                np.floor((users[attribute] - low) / (high - low) * HISTOGRAM_BINS) + 1,
                HISTOGRAM_BINS,
            )
            expected = positions.value_counts().reindex(range(1, HISTOGRAM_BINS + 1), fill_value=0)
            assert expected.tolist() == ordered["users"].tolist(), attribute


def test_metric_indexes_mark_the_clustering_features(build):
    metrics = build.result.frame("select * from fct_segment_metric_indexes")
    features = set(metrics.loc[metrics["is_clustering_feature"], "metric_name"])
    # The default clustering: four numeric features; age and income bands by their midpoints.
    assert features == {
        "weekday_hours_online", "weekend_hours_online", "likes_and_reactions",
        "click_through_rate", "age_midpoint_years", "income_midpoint_usd",
    }  # fmt: skip
    segments = build.result.frame("select * from dim_segments").set_index("segment_id")
    for row in metrics.itertuples():
        assert row.metric_index == pytest.approx(
            segments.loc[row.segment_id, f"{row.metric_name}_index"], nan_ok=True
        )
