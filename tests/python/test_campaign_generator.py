"""Tests of the synthetic campaign results: arms, exposure rules, planted lift, determinism."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation import campaign_generator, generator, holdouts
from segmentation.campaign_generator import PLANTED_CONVERSION_LIFTS, campaign_results

PERSONA_NAMES = [persona.name for persona in generator.PERSONAS]


def round_robin_truth(n_users: int, names: list[str]) -> pd.DataFrame:
    """``n_users`` users, personas in turn: equal groups without drawing the profiles."""
    return pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1, dtype=np.int64),
            "persona_name": [names[index % len(names)] for index in range(n_users)],
        }
    )


@pytest.fixture(scope="module")
def small_draw() -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = round_robin_truth(6_000, PERSONA_NAMES)
    return truth, campaign_results(truth, ["alpha", "beta"], control_share=0.2, seed=9)


@pytest.fixture(scope="module")
def large_draw() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Half the users held back, so each arm of each persona has about 40,000 users."""
    truth = round_robin_truth(400_000, PERSONA_NAMES)
    return truth, campaign_results(truth, ["large_draw"], control_share=0.5, seed=1)


def test_planted_lifts_are_real_in_some_personas_and_zero_in_others() -> None:
    assert set(PLANTED_CONVERSION_LIFTS) == set(PERSONA_NAMES)
    assert PLANTED_CONVERSION_LIFTS["Weekend Warriors"] == 0.06
    assert PLANTED_CONVERSION_LIFTS["Active Explorers"] == 0.04
    assert sum(lift > 0 for lift in PLANTED_CONVERSION_LIFTS.values()) == 2
    assert sum(lift == 0 for lift in PLANTED_CONVERSION_LIFTS.values()) == 3


def test_one_row_per_user_and_campaign_in_the_file_columns(small_draw) -> None:
    truth, results = small_draw
    assert tuple(results.columns) == (
        "user_id",
        "campaign_key",
        "exposed",
        "clicked",
        "converted",
        "revenue",
    )
    assert len(results) == 2 * len(truth)
    assert not results.duplicated(["campaign_key", "user_id"]).any()
    for key in ("alpha", "beta"):
        assert (
            results.loc[results.campaign_key == key, "user_id"].to_numpy() == truth.user_id
        ).all()


def test_arms_agree_with_holdouts_arm(small_draw) -> None:
    _, results = small_draw
    arm = np.array(
        [
            holdouts.arm(str(user_id), key, 0.2)
            for user_id, key in zip(results.user_id, results.campaign_key, strict=True)
        ]
    )
    # Every exposed row is in holdouts' treatment arm, and treatment reaches its planted share:
    # arms from any other function would expose about 80% of holdouts' control rows.
    assert (arm[results.exposed.to_numpy()] == "treatment").all()
    treatment = arm == "treatment"
    reach = campaign_generator.REACH
    tolerance = 4 * math.sqrt(reach * (1 - reach) / treatment.sum())
    assert abs(results.exposed[treatment].mean() - reach) < tolerance


def test_control_rows_are_never_exposed_nor_clicked(small_draw) -> None:
    _, results = small_draw
    control = np.array(
        [
            holdouts.arm(str(user_id), key, 0.2) == "control"
            for user_id, key in zip(results.user_id, results.campaign_key, strict=True)
        ]
    )
    assert control.sum() > 0
    assert not results.exposed[control].any()
    assert not results.clicked[control].any()
    # The control share is within binomial tolerance of 0.2.
    assert abs(control.mean() - 0.2) < 4 * math.sqrt(0.2 * 0.8 / len(results))


def test_clicks_only_when_exposed_and_revenue_only_when_converted(small_draw) -> None:
    _, results = small_draw
    assert results.clicked.any()
    assert not (results.clicked & ~results.exposed).any()
    assert (results.revenue[~results.converted] == 0).all()
    assert (results.revenue[results.converted] > 0).all()


def test_conversion_lift_between_arms_matches_planted_lift(large_draw) -> None:
    truth, results = large_draw
    arm = np.array([holdouts.arm(str(user_id), "large_draw", 0.5) for user_id in results.user_id])
    results = results.assign(arm=arm, persona_name=truth.persona_name.to_numpy())
    rates = results.groupby(["persona_name", "arm"])["converted"].agg(["mean", "size"])
    for persona, planted in PLANTED_CONVERSION_LIFTS.items():
        treatment, control = rates.loc[(persona, "treatment")], rates.loc[(persona, "control")]
        assert min(treatment["size"], control["size"]) > 35_000
        standard_error = math.sqrt(
            treatment["mean"] * (1 - treatment["mean"]) / treatment["size"]
            + control["mean"] * (1 - control["mean"]) / control["size"]
        )
        observed = treatment["mean"] - control["mean"]
        # 4.5 standard errors: a false alarm about once in 150,000 personas; a lift off by
        # 0.02 (e.g. 0.04 planted as 0.06) is about 9 standard errors away and fails.
        assert abs(observed - planted) < 4.5 * standard_error, (persona, observed, planted)
        # The control arm converts at the baseline rate in every persona.
        control_error = math.sqrt(0.05 * 0.95 / control["size"])
        assert abs(control["mean"] - campaign_generator.BASELINE_CONVERSION_RATE) < (
            4.5 * control_error
        )


def test_campaign_keys_draw_independently(small_draw) -> None:
    _, results = small_draw
    alpha = results[results.campaign_key == "alpha"].reset_index(drop=True)
    beta = results[results.campaign_key == "beta"].reset_index(drop=True)
    p_alpha, p_beta = alpha.converted.mean(), beta.converted.mean()
    both = (alpha.converted & beta.converted).mean()
    # Independent draws convert in both campaigns at p_alpha * p_beta, not at p (same stream).
    n = len(alpha)
    assert abs(both - p_alpha * p_beta) < 4.5 * math.sqrt(p_alpha * p_beta / n)
    assert both < 0.5 * min(p_alpha, p_beta)


def test_unlisted_persona_gets_no_lift() -> None:
    truth = round_robin_truth(200_000, ["none"])
    results = campaign_results(truth, ["export_like"], control_share=0.5, seed=4)
    arm = np.array([holdouts.arm(str(u), "export_like", 0.5) for u in results.user_id])
    treatment, control = results.converted[arm == "treatment"], results.converted[arm == "control"]
    standard_error = math.sqrt(0.05 * 0.95 * (1 / len(treatment) + 1 / len(control)))
    assert abs(treatment.mean() - control.mean()) < 4.5 * standard_error


def test_same_seed_same_file_other_seed_differs(tmp_path: Path) -> None:
    truth = round_robin_truth(2_000, PERSONA_NAMES)
    paths = [tmp_path / f"results_{index}.csv" for index in range(3)]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        campaign_generator.write_campaign_results(
            campaign_results(truth, ["demo_launch", "second"], seed=seed), path
        )
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_csv_booleans_are_true_false_and_parquet_round_trips(tmp_path: Path) -> None:
    truth = round_robin_truth(500, PERSONA_NAMES)
    results = campaign_results(truth, ["demo_launch"], seed=3)
    csv_path = campaign_generator.write_campaign_results(results, tmp_path / "results.csv")
    text = pd.read_csv(csv_path, dtype=str)
    assert set(text.exposed) <= {"true", "false"}
    parquet_path = campaign_generator.write_campaign_results(results, tmp_path / "results.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(parquet_path), results)
    with pytest.raises(ValueError, match="csv or parquet"):
        campaign_generator.write_campaign_results(results, tmp_path / "results.json")


def test_cli_writes_users_and_results_from_the_same_draw(tmp_path: Path) -> None:
    users, truth_path, results_path = (
        tmp_path / "users.csv",
        tmp_path / "truth.csv",
        tmp_path / "results.csv",
    )
    generator.main(
        ["--users", "400", "--out", str(users), "--seed", "5", "--truth", str(truth_path)]
        + ["--results", str(results_path), "--campaigns", "demo_launch,spring_sale"]
        + ["--chunk-size", "150"]
    )
    truth = pd.read_csv(truth_path)
    expected = campaign_results(truth, ["demo_launch", "spring_sale"], seed=5)
    written = pd.read_csv(results_path)
    assert list(written.user_id) == list(expected.user_id)
    assert list(written.campaign_key) == list(expected.campaign_key)
    assert (written.converted == expected.converted).all()
    assert set(written.user_id) == set(pd.read_csv(users)["User ID"])


def test_impossible_rates_are_refused() -> None:
    truth = round_robin_truth(10, PERSONA_NAMES)
    with pytest.raises(ValueError, match="lift / reach"):
        campaign_results(truth, ["demo_launch"], lifts={"Weekend Warriors": 0.9})
    with pytest.raises(ValueError, match="distinct"):
        campaign_results(truth, ["demo_launch", "demo_launch"])
