"""Segments you can trust: choosing k, the structure verdict, stability, stable identities,
scoring with a stored model. Unit tests of segmentation.quality / .identity, then through dbt."""

from __future__ import annotations

from html import escape

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from conftest import PROJECT_DIR, REAL_EXPORT, build_and_publish, require_shared, run_dbt
from readme_spec import (
    PERSONAS,
    TRAIT_LABELS,
    condition_holds,
    name_is_true,
    people,
    persona_rule,
    qualifier,
    strongest_traits,
)
from segmentation import identity, quality, report, summary
from segmentation.clustering import fit_segments
from segmentation.generator import write


def blobs(seed: int = 0, per_blob: int = 150) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [8, 1], [2, 9], [-7, 6]], dtype=float)
    labels = np.repeat(np.arange(len(centres)), per_blob)
    return centres[labels] + rng.normal(0, 1, size=(labels.size, 2))


def noise(seed: int = 0, rows: int = 600) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, size=(rows, 3))


def test_sweep_and_choice_of_k_find_the_planted_number():
    matrix = blobs()
    metrics = quality.sweep(matrix, ["x", "y"], ["x", "y"], range(2, 8), "kmeans", 42, 4)
    assert metrics["n_clusters"].tolist() == list(range(2, 8))
    assert quality.choose_k(metrics) == 4
    assert metrics["inertia"].is_monotonic_decreasing


def test_choose_k_breaks_ties_towards_fewer_segments():
    metrics = pd.DataFrame({"n_clusters": [3, 2, 4], "silhouette": [0.5, 0.5, 0.1]})
    assert quality.choose_k(metrics) == 2


def test_permutation_keeps_marginals_and_moves_categorical_blocks_together():
    columns = ["x", "sex__m", "sex__f"]
    groups = quality.feature_groups(columns, ["x"])
    assert groups == [[0], [1, 2]]
    matrix = np.column_stack([np.arange(50.0), np.tile([1.0, 0.0], 25), np.tile([0.0, 1.0], 25)])
    shuffled = quality.permuted(matrix, groups, np.random.default_rng(1))
    assert sorted(shuffled[:, 0]) == sorted(matrix[:, 0])
    assert (shuffled[:, 1] + shuffled[:, 2] == 1).all()


@pytest.mark.parametrize(("data", "expected"), [(blobs, {"strong"}), (noise, {"none", "weak"})])
def test_verdict_separates_structure_from_noise(data, expected):
    matrix = data()
    columns = [f"c{i}" for i in range(matrix.shape[1])]
    k = 4
    model = fit_segments(matrix, columns, columns, k, "kmeans", 42, 4)
    verdict = quality.structure_verdict(matrix, columns, columns, model, "kmeans", 42, 4, draws=4)
    assert verdict.verdict in expected, verdict


# README "Reading the verdict": strong when s − m ≥ 0.15, s ≥ 0.25 and (s − m)/sd ≥ 3; weak when
# s − m ≥ 0.03 and (s − m)/sd ≥ 2; none otherwise. The values below are exact in binary floating
# point where a case sits exactly on a boundary (checked by the first test).
VERDICT_CASES = [
    # (s, m, sd, verdict, what is on or near a boundary)
    (0.4375, 0.25, 0.0625, "strong", "z exactly 3"),
    (0.4375, 0.25, 0.0626, "weak", "z just below 3"),
    (0.25, 0.0625, 0.0625, "strong", "s exactly 0.25 (and z exactly 3)"),
    (0.2499, 0.0624, 0.01, "weak", "s just below 0.25"),
    (0.3, 0.15, 0.01, "strong", "s - m exactly 0.15"),
    (0.2999, 0.15, 0.01, "weak", "s - m just below 0.15"),
    (0.9, 0.5, 0.2, "weak", "s - m and s pass strong, z exactly 2 only weak"),
    (0.03, 0.0, 0.015, "weak", "s - m exactly 0.03, z exactly 2"),
    (0.0299, 0.0, 0.01, "none", "s - m just below 0.03"),
    (0.5, 0.375, 0.0625, "weak", "z exactly 2"),
    (0.5, 0.375, 0.0626, "none", "z just below 2"),
    (0.112, 0.113, 0.004, "none", "the real export: s below m"),
    (0.3, 0.25, 0.0, "weak", "sd 0: z stays finite and the verdict is unchanged"),
    (float("nan"), 0.1, 0.01, "none", "s unknown"),
    (0.5, float("nan"), 0.01, "none", "m unknown"),
    (0.5, 0.1, float("nan"), "none", "sd unknown"),
]


def test_verdict_boundary_cases_are_exact():
    assert 0.4375 - 0.25 == 0.1875 and 0.1875 / 0.0625 == 3
    assert 0.25 - 0.0625 == 0.1875
    assert 0.3 - 0.15 == 0.15 and 0.2999 - 0.15 < 0.15
    assert 0.03 - 0.0 == 0.03 and 0.03 / 0.015 == 2
    assert 0.5 - 0.375 == 0.125 and 0.125 / 0.0625 == 2
    assert 0.9 - 0.5 == 0.4 and 0.4 / 0.2 == 2


@pytest.mark.parametrize(("s", "m", "sd", "expected", "case"), VERDICT_CASES)
def test_verdict_at_and_around_readmes_thresholds(s, m, sd, expected, case):
    verdict = quality.classify(s, m, sd)
    assert verdict.verdict == expected, case
    assert (verdict.silhouette, verdict.null_silhouette_mean) == pytest.approx((s, m), nan_ok=True)


def test_z_score_is_gain_over_sd_with_sd_at_least_a_thousandth():
    assert quality.classify(0.4375, 0.25, 0.0625).z_score == 3.0
    assert quality.classify(0.3, 0.25, 0.0).z_score == pytest.approx(50.0)
    assert quality.classify(0.3, 0.25, 0.0005).z_score == pytest.approx(50.0)
    assert quality.classify(0.3, 0.25, 0.002).z_score == pytest.approx(25.0)
    assert np.isnan(quality.classify(0.3, 0.25, float("nan")).z_score)


def test_structure_verdict_reports_its_inputs(monkeypatch):
    """structure_verdict hands the real silhouette and the null mean and sd to classify."""
    matrix = blobs()
    model = fit_segments(matrix, ["x", "y"], ["x", "y"], 4, "kmeans", 42, 4)
    seen = []
    monkeypatch.setattr(quality, "classify", lambda *args: seen.append(args) or args)
    quality.structure_verdict(matrix, ["x", "y"], ["x", "y"], model, "kmeans", 42, 4, draws=3)
    ((real, mean, sd),) = seen
    expected = quality.silhouette(model.transform(matrix), model.predict(matrix), 42)
    assert real == pytest.approx(expected)
    assert 0 < mean < real and sd > 0


def test_unstable_jaccard_default_is_readmes():
    settings = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    assert settings["vars"]["unstable_jaccard"] == 0.75


def test_stability_is_high_for_clear_clusters_and_flags_noise():
    clear = blobs()
    model = fit_segments(clear, ["x", "y"], ["x", "y"], 4, "kmeans", 42, 4)
    stable = quality.stability(clear, ["x", "y"], ["x", "y"], model, "kmeans", 42, 4, 3)
    assert stable.mean_ari > 0.95 and (stable.segment_jaccard > 0.9).all()
    fuzzy = noise()
    cols = ["a", "b", "c"]
    model = fit_segments(fuzzy, cols, cols, 8, "kmeans", 42, 1)
    shaky = quality.stability(fuzzy, cols, cols, model, "kmeans", 42, 1, 3)
    assert shaky.mean_ari < stable.mean_ari


def test_alignment_follows_centroids_and_gives_new_ids_to_newcomers():
    previous = {7: {"x": 0.0, "y": 0.0}, 3: {"x": 10.0, "y": 0.0}}
    new = np.array([[10.1, 0.0], [0.1, 0.1], [50.0, 50.0]])
    ids = identity.align_segment_ids(
        new, ["x", "y"], np.ones(2), np.zeros(2), previous, used_ids=[3, 7, 9], max_distance=1.0
    )
    assert ids == [3, 7, 10]
    assert identity.align_segment_ids(new, ["x", "y"], np.ones(2), np.zeros(2), {}, [], 1.0) == [
        1,
        2,
        3,
    ]


def test_drift_is_relative_misfit():
    assert identity.drift(1.0, 1.0) == 0.0
    assert identity.drift(1.3, 1.0) == pytest.approx(0.3)


# --- through dbt -----------------------------------------------------------------------------

FAST = {"n_init": 4, "null_draws": 3, "stability_subsamples": 3}


def write_export(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def planted_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    export_path, truth_path = folder / "export.csv", folder / "truth.csv"
    write(10_200, export_path, seed=5, truth_path=truth_path)
    export = pd.read_csv(export_path, dtype=str, keep_default_na=False)
    truth = pd.read_csv(truth_path, dtype={"user_id": str})
    earlier = write_export(export.iloc[:10_000], folder / "earlier.csv")
    grown = str(export_path)
    return folder, earlier, grown, truth


@pytest.fixture(scope="module")
def auto_build(planted_data):
    folder, earlier, _, _ = planted_data
    result = run_dbt(
        folder / "auto", variables={"user_profiles_path": earlier, "n_clusters": "auto", **FAST}
    )
    assert result.ok, result.output[-5000:]
    return result


@pytest.mark.dbt
def test_auto_picks_the_planted_number_with_a_strong_verdict(auto_build, planted_data):
    truth = planted_data[3]
    run = auto_build.frame("select * from dim_segmentation_runs where is_latest")
    assert run["n_clusters"].item() == truth["persona_name"].nunique() == 5
    assert run["structure_verdict"].item() == "strong"
    quality_rows = auto_build.frame("select * from rpt_segmentation_quality")
    assert quality_rows["n_clusters"].tolist() == list(range(2, 11))
    assert quality_rows.loc[quality_rows.is_selected, "n_clusters"].tolist() == [5]
    assert set(
        auto_build.frame("select structure_verdict from dim_segments")["structure_verdict"]
    ) == {"strong"}
    ours = auto_build.frame("select user_id, segment_id from fct_user_segments")
    merged = ours.merge(truth, on="user_id")
    assert adjusted_rand_score(merged["persona_name"], merged["segment_id"]) >= 0.9


@pytest.mark.dbt
def test_real_export_has_no_strong_structure(tmp_path):
    path = require_shared(REAL_EXPORT)
    result = run_dbt(tmp_path, variables={"user_profiles_path": str(path), **FAST})
    assert result.ok, result.output[-5000:]
    verdict = result.query("select structure_verdict from dim_segmentation_runs")[0][0]
    assert verdict in {"weak", "none"}


@pytest.mark.dbt
def test_growing_input_keeps_segment_ids_and_names(planted_data):
    folder, earlier, grown, _ = planted_data
    database = folder / "identity.duckdb"
    first = run_dbt(
        folder / "identity1", variables={"user_profiles_path": earlier, **FAST}, database=database
    )
    assert first.ok, first.output[-5000:]
    before = first.frame("select user_id, segment_id, segment_name from fct_user_segments")
    second = run_dbt(
        folder / "identity2", variables={"user_profiles_path": grown, **FAST}, database=database
    )
    assert second.ok, second.output[-5000:]
    after = second.frame("select user_id, segment_id, segment_name from fct_user_segments")
    merged = before.merge(after, on="user_id", suffixes=("_before", "_after"))
    assert len(merged) == 10_000
    same = (merged.segment_id_before == merged.segment_id_after) & (
        merged.segment_name_before == merged.segment_name_after
    )
    assert same.mean() >= 0.98
    runs = second.frame("select * from dim_segmentation_runs order by run_started_at")
    assert len(runs) == 2 and runs["refit_reason"].tolist() == ["first run", "refit: true"]
    moved = second.frame(
        "select sum(users) filter (where is_change) as moved, sum(users) as total "
        "from fct_segment_transitions where run_id = (select max_by(run_id, run_started_at) "
        "from dim_segmentation_runs)"
    )
    assert moved["total"].item() == 10_200
    assert moved["moved"].item() == (~same).sum() + 200


@pytest.mark.dbt
def test_scoring_without_refit_keeps_earlier_users_and_assigns_new_ones(planted_data):
    folder, earlier, grown, _ = planted_data
    database = folder / "scoring.duckdb"
    first = run_dbt(
        folder / "scoring1", variables={"user_profiles_path": earlier, **FAST}, database=database
    )
    assert first.ok, first.output[-5000:]
    before = first.frame("select user_id, segment_id, segment_name from fct_user_segments")
    second = run_dbt(
        folder / "scoring2",
        variables={"user_profiles_path": grown, "refit": False, **FAST},
        database=database,
    )
    assert second.ok, second.output[-5000:]
    after = second.frame("select user_id, segment_id, segment_name from fct_user_segments")
    assert len(after) == 10_200
    merged = before.merge(after, on="user_id", suffixes=("_before", "_after"))
    assert (merged.segment_id_before == merged.segment_id_after).all()
    assert (merged.segment_name_before == merged.segment_name_after).all()
    assert second.query("select count(*) from dim_segmentation_runs")[0][0] == 1


@pytest.mark.dbt
def test_same_input_and_settings_give_identical_results(planted_data):
    folder, earlier, _, _ = planted_data
    outputs = []
    for attempt in range(2):
        result = run_dbt(
            folder / f"repeat{attempt}", variables={"user_profiles_path": earlier, **FAST}
        )
        assert result.ok, result.output[-5000:]
        outputs.append(
            (
                result.frame("select * from fct_user_segments order by user_id"),
                result.frame(
                    "select * exclude (run_id, built_at) from dim_segments order by segment_id"
                ),
            )
        )
    pd.testing.assert_frame_equal(outputs[0][0], outputs[1][0])
    pd.testing.assert_frame_equal(outputs[0][1], outputs[1][1])


@pytest.mark.dbt
def test_structureless_data_gets_names_that_say_so(tmp_path, monkeypatch, capsys):
    """Issue 13, 6: on data with no structure, every place that shows a name says so, in
    README's words ("Names carry the verdict")."""
    export = tmp_path / "structureless.csv"
    write(3_000, export, seed=11, personas="none")
    result = build_and_publish(
        tmp_path / "dbt", variables={"user_profiles_path": str(export), **FAST}
    )
    assert result.ok, result.output[-5000:]
    assert result.query("select structure_verdict from dim_segmentation_runs") == [("none",)]

    segments = result.frame("select * from dim_segments order by segment_id")
    assert len(segments) == 5
    labels = []
    for row in segments.to_dict("records"):
        jaccard = row["stability_jaccard"]
        expected = qualifier("none", jaccard)
        assert expected.startswith("no structure found")
        assert row["name_qualifier"] == expected
        assert row["is_unstable"] is bool(jaccard < 0.75)
        assert name_is_true(row["segment_name"], row["persona_rule"], row)
        assert (
            "Caution (structure verdict none): the segments are an arbitrary cut of a "
            in (row["description"])
        )
        assert ("Unstable (stability" in row["description"]) is row["is_unstable"]
        labels.append(f"{row['segment_name']} ({expected})")
    unstable = int(segments["is_unstable"].sum())

    recommendations = result.frame("select * from rpt_segment_recommendations order by segment_id")
    for row, expected in zip(
        recommendations.to_dict("records"), segments["name_qualifier"], strict=True
    ):
        assert row["name_qualifier"] == expected
        assert row["recommendation"].startswith(f"Caution: {expected}. Schedule ")

    assert summary.main(["--db", str(result.database)]) == 0
    printed = capsys.readouterr().out
    for text in labels:
        assert f"  {text}  " in printed, text
    caution = (
        "Caution: the segments are an arbitrary cut of a continuum: use them as convenient "
        'bins, or use declarative segments (structure verdict none; names say "no structure '
        'found").'
    )
    assert caution in printed
    if unstable:
        assert f"{unstable} of 5 segments are unstable: don't build a campaign" in printed

    monkeypatch.setenv("SEGMENTATION_BUILD_DIR", str(tmp_path / "dbt" / "build"))
    page = tmp_path / "report.html"
    assert report.main(["--out", str(page)]) == 0
    html = page.read_text()
    assert caution in html.replace("&#34;", '"')
    for text in labels:
        assert escape(text) in html, text


@pytest.mark.dbt
def test_a_stored_name_is_kept_through_dbt_while_its_rule_holds(tmp_path):
    """int_segment_personas reads its previous table: a name whose rule still holds is kept even
    where a fresh run would choose another, and one whose rule fails is replaced."""
    first = run_dbt(tmp_path, variables=FAST)
    assert first.ok, first.output[-5000:]
    segments = first.frame("select * from dim_segments order by segment_id").to_dict("records")
    fresh = {row["segment_id"]: row["segment_name"] for row in segments}
    kept, broken = segments[0], segments[1]
    # A strongest-trait name for `kept`, as README builds it; a persona whose condition fails
    # for `broken`.
    (lead,) = strongest_traits(kept)
    metric = next(m for m in TRAIT_LABELS if lead.endswith(f"-{TRAIT_LABELS[m]}"))
    kept_name = f"{lead} {kept['modal_age_band']} {people(kept)}"
    wrong = next(n for n in PERSONAS if not condition_holds(n, broken) and n not in fresh.values())
    with duckdb.connect(str(first.database)) as connection:
        connection.execute(
            "update int_segment_personas set segment_name = ?, persona_rule = ? "
            "where segment_id = ?",
            [kept_name, f"fallback: strongest trait {metric}_index = 1", kept["segment_id"]],
        )
        connection.execute(
            "update int_segment_personas set segment_name = ?, persona_rule = ? "
            "where segment_id = ?",
            [wrong, persona_rule(wrong), broken["segment_id"]],
        )
    second = run_dbt(
        tmp_path,
        command="run",
        variables=FAST,
        extra=["--select", "int_segment_personas", "dim_segments"],
        database=first.database,
    )
    assert second.ok, second.output[-5000:]
    names = dict(second.query("select segment_id, segment_name from dim_segments"))
    assert names[kept["segment_id"]] == kept_name != fresh[kept["segment_id"]]
    assert names[broken["segment_id"]] == fresh[broken["segment_id"]]
    rules = dict(second.query("select segment_id, persona_rule from dim_segments"))
    value = round(kept[f"{metric}_index"], 1)
    assert rules[kept["segment_id"]] == f"fallback: strongest trait {metric}_index = {value:g}"
