"""End to end through dbt: the marts on the demo seed, the real export and planted data."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import PEER_NOTEBOOK, REAL_EXPORT, require_shared, run_dbt
from readme_spec import name_is_true, qualifier
from segmentation.generator import write

pytestmark = pytest.mark.dbt


def test_demo_marts_cover_every_user_once(demo_build):
    users, distinct_users = demo_build.query(
        "select count(*), count(distinct user_id) from fct_user_segments"
    )[0]
    valid = demo_build.query("select count(*) from stg_platform__user_profiles")[0][0]
    assert users == distinct_users == valid == 1000


def test_demo_segments_have_the_configured_count_and_unique_names(demo_build):
    segments = demo_build.frame("select * from dim_segments order by segment_id")
    assert len(segments) == 5
    assert segments["segment_name"].is_unique
    assert segments["description"].str.len().min() > 20
    assert segments["share"].sum() == pytest.approx(1.0)
    counts = demo_build.frame(
        "select segment_id, count(*) as users from fct_user_segments group by 1 order by 1"
    )
    assert counts["users"].tolist() == segments["users"].tolist()


@pytest.mark.parametrize("build", ["demo_build", "real_export_build"])
def test_every_persona_name_is_true_to_the_published_numbers(build, request):
    """README's reading of each name (tests/python/readme_spec.py, not the naming code) holds
    on the numbers dim_segments publishes, and each name says what the verdict calls for."""
    result = request.getfixturevalue(build)
    segments = result.frame("select * from dim_segments")
    assert segments["segment_name"].is_unique
    for profile in segments.to_dict("records"):
        assert name_is_true(profile["segment_name"], profile["persona_rule"], profile), profile
        expected = qualifier(profile["structure_verdict"], profile["stability_jaccard"])
        assert profile["name_qualifier"] == expected, profile


def test_real_export_names_say_there_is_no_structure(real_export_build):
    """README: on the real export the verdict is none and all five segments are unstable, so
    every name reads "... (no structure found, unstable)"."""
    segments = real_export_build.frame("select * from dim_segments")
    assert set(segments["structure_verdict"]) == {"none"}
    assert (segments["stability_jaccard"] < 0.75).all() and segments["is_unstable"].all()
    assert set(segments["name_qualifier"]) == {"no structure found, unstable"}
    recommendations = real_export_build.frame(
        "select recommendation from rpt_segment_recommendations"
    )
    assert (
        recommendations["recommendation"]
        .str.startswith("Caution: no structure found, unstable. ")
        .all()
    )


def test_indexes_and_medians_match_a_recomputation(demo_build):
    joined = demo_build.frame(
        """
        select fct.segment_id, features.weekend_hours_online, features.click_through_rate
        from fct_user_segments as fct
        inner join int_user_features as features on fct.user_id = features.user_id
        """
    )
    segments = demo_build.frame("select * from dim_segments").set_index("segment_id")
    population_mean = joined["click_through_rate"].mean()
    by_segment = joined.groupby("segment_id")
    expected_index = 100 * by_segment["click_through_rate"].mean() / population_mean
    pd.testing.assert_series_equal(
        segments["click_through_rate_index"].sort_index(),
        expected_index.sort_index(),
        check_names=False,
        check_index_type=False,
    )
    pd.testing.assert_series_equal(
        segments["median_weekend_hours_online"].sort_index(),
        by_segment["weekend_hours_online"].median().sort_index(),
        check_names=False,
        check_index_type=False,
    )


def test_interest_lift_matches_a_recomputation(demo_build):
    interests = demo_build.frame(
        """
        select fct.segment_id, listed.user_id, listed.interest_name
        from (
            select user_id, unnest(interest_names) as interest_name
            from stg_platform__user_profiles
        ) as listed
        inner join fct_user_segments as fct on listed.user_id = fct.user_id
        """
    )
    sizes = demo_build.frame("select segment_id, users from dim_segments").set_index("segment_id")
    published = demo_build.frame("select * from fct_segment_interests").set_index(
        ["segment_id", "interest_name"]
    )
    share_of_population = interests.groupby("interest_name").size() / sizes["users"].sum()
    users = interests.groupby(["segment_id", "interest_name"]).size()
    share_of_segment = users / users.index.get_level_values(0).map(sizes["users"]).to_numpy()
    lift = (
        share_of_segment / share_of_population.reindex(users.index.get_level_values(1)).to_numpy()
    )
    assert published["users"].sort_index().tolist() == users.sort_index().tolist()
    assert published["lift"].sort_index().to_numpy() == pytest.approx(lift.sort_index().to_numpy())


def test_assignment_is_the_nearest_centroid(demo_build):
    confidence = demo_build.frame(
        "select distance_to_centroid, distance_to_second_centroid, assignment_confidence "
        "from fct_user_segments"
    )
    assert (confidence["distance_to_centroid"] <= confidence["distance_to_second_centroid"]).all()
    assert confidence["assignment_confidence"].between(0, 1).all()


def test_real_export_segments_equal_the_reference_notebook(real_export_build, tmp_path):
    require_shared(PEER_NOTEBOOK)
    subprocess.run(
        [sys.executable, str(PEER_NOTEBOOK), str(REAL_EXPORT), str(tmp_path / "peer")],
        check=True,
        capture_output=True,
    )
    peer = pd.read_csv(tmp_path / "peer" / "assignments.csv", dtype={"User ID": str})
    ours = real_export_build.frame("select user_id, segment_id from fct_user_segments")
    merged = ours.merge(peer, left_on="user_id", right_on="User ID", validate="one_to_one")
    assert len(merged) == len(peer) == 1000
    assert adjusted_rand_score(merged["Cluster"], merged["segment_id"]) >= 0.99


def test_planted_personas_are_recovered(tmp_path):
    export = tmp_path / "planted.csv"
    truth = tmp_path / "planted_truth.csv"
    write(10_000, export, seed=7, truth_path=truth)
    result = run_dbt(tmp_path / "dbt", variables={"user_profiles_path": str(export)})
    assert result.ok, result.output[-5000:]
    ours = result.frame("select user_id, segment_id from fct_user_segments")
    planted = pd.read_csv(truth, dtype={"user_id": str})
    merged = ours.merge(planted, on="user_id", validate="one_to_one")
    assert len(merged) == 10_000
    assert adjusted_rand_score(merged["persona_name"], merged["segment_id"]) >= 0.9
