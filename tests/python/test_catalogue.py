"""The domain catalogue (var catalogue): what README says of it, its checks, and that adding a
metric takes one catalogue entry plus the SQL that computes it (and the columns' docs)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_DIR, run_dbt
from segmentation.catalogue import (
    Catalogue,
    CatalogueError,
    load,
    normalize_header,
    project_vars,
)

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def readme_required_columns() -> list[list[str]]:
    """The rows of README's "Required columns" table: export header, staged name, valid values."""
    section = README.split("**Required columns**", 1)[1]
    table = section.split("\n\n", 2)[1]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()[2:]]
    return [[cell.strip().strip("`") for cell in row] for row in rows]


def test_export_columns_are_readmes_required_columns():
    catalogue = load()
    rows = readme_required_columns()
    assert [(c.header, c.name) for c in catalogue.export_columns] == [(r[0], r[1]) for r in rows]
    for column, (_, _, valid) in zip(catalogue.export_columns, rows, strict=True):
        bounds = (column.minimum, column.maximum)
        if column.type == "category":
            assert tuple(valid.split(", ")) == catalogue.vocabularies[column.name]
        elif valid.startswith("whole number ≥ "):
            assert (column.type, bounds) == ("bigint", (float(valid.split("≥ ")[1]), None))
        elif valid.startswith("≥ "):
            assert (column.type, bounds) == ("double", (float(valid[2:]), None))
        elif " to " in valid:
            low, high = (float(part) for part in valid.split(" to "))
            assert (column.type, bounds) == ("double", (low, high))
        else:
            assert column.type in ("text", "list"), (column.name, valid)


def test_aliases_are_readmes_header_spellings():
    paragraph = README.split("these aliases are accepted", 1)[1].split("\n\n", 1)[0]
    listed = paragraph.split(":", 1)[1]
    groups = [re.findall(r"`([^`]+)`", group) for group in re.split(r"\s·\s", listed)]
    assert groups == [list(c.aliases) for c in load().export_columns if c.aliases]


def test_readmes_example_spellings_of_user_id_match_it():
    # README: "`User ID`, `user_id`, `User_ID`, ` USER ID ` all match" (and a byte-order mark
    # is dropped).
    user_id = next(c for c in load().export_columns if c.name == "user_id")
    for header in ("User ID", "user_id", "User_ID", " USER ID ", "\ufeffUser  ID"):
        assert normalize_header(header) in load().spellings(user_id)


def test_readmes_strongest_trait_labels_are_the_catalogues_naming_labels():
    listed = re.search(r"metric's\s+label \(([^:)]*)[:)]", README)
    assert listed is not None
    labels = [label.strip() for label in " ".join(listed.group(1).split()).split(",")]
    assert list(load().naming_labels.values()) == labels


def variables(**changes) -> dict:
    """The project's vars with catalogue entries changed: metrics=[...] replaces the list."""
    found = project_vars()
    catalogue = {**found["catalogue"], **changes}
    return {**found, "catalogue": catalogue}


def metric(**entry) -> dict:
    return {"name": "new_metric", "label": "New", "unit": "count", "kind": "derived", **entry}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (metric(profiled=True), "metrics[16] (new_metric): a profiled metric needs a naming_label"),
        (metric(naming_label="New"), "a profiled metric needs a naming_label"),
        (metric(colour="red"), "metrics[16]: unknown key colour"),
        (metric(kind="guess"), "kind must be one of export, derived, band, got 'guess'"),
        (metric(name="New Metric"), "name must be a snake_case column name"),
        (metric(described={"order": 9, "as": "x"}), "only a profiled metric (with an index)"),
        (metric(histogram="yes"), "histogram must be true or false, got 'yes'"),
        (metric(name="weekday_hours_online"), "metrics: repeated weekday_hours_online"),
    ],
)
def test_a_malformed_metric_is_named(entry, message):
    metrics = [*project_vars()["catalogue"]["metrics"], entry]
    with pytest.raises(CatalogueError) as raised:
        Catalogue.from_vars(variables(metrics=metrics))
    assert str(raised.value).startswith("var catalogue, ")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"header": "Mood", "name": "mood", "type": "category"}, "needs a vocabulary"),
        ({"header": "Ctr", "name": "ctr_again", "type": "double"}, "spelling 'ctr' is accepted"),
        ({"header": "X", "name": "x", "type": "text", "min": 0}, "only a bigint or double"),
        ({"header": "X", "name": "x", "type": "double", "min": 2, "max": 1}, "min 2 is above"),
        ({"header": "X", "name": "x", "type": "date"}, "type must be one of text, list"),
    ],
)
def test_a_malformed_export_column_is_named(entry, message):
    columns = [*project_vars()["catalogue"]["export_columns"], entry]
    with pytest.raises(CatalogueError, match=re.escape(message)):
        Catalogue.from_vars(variables(export_columns=columns))


def test_a_trait_needs_a_vocabulary():
    traits = [*project_vars()["catalogue"]["traits"], {"name": "mood", "label": "Mood"}]
    with pytest.raises(CatalogueError, match=r"traits\[7\] \(mood\): a trait needs a vocabulary"):
        Catalogue.from_vars(variables(traits=traits))


def test_the_catalogue_comes_as_json_text_too():
    assert Catalogue.from_vars(json.dumps(project_vars())) == load()


# --- Adding a metric (README "Adding a metric") ---------------------------------------------

NEW_METRIC = "likes_per_hour_online"
NEW_ENTRY = {
    "name": NEW_METRIC,
    "label": "Likes per hour online",
    "unit": "likes per hour",
    "kind": "derived",
    "profiled": True,
    "naming_label": "Likes-per-Hour",
    "percentile_ranked": True,
    "histogram": True,
    "described": {"order": 6, "as": "likes per hour online"},
}
# The SQL that computes it, in int_user_features' select list.
NEW_SQL = (
    "{{ safe_divide('profiles.likes_and_reactions', "
    "'5 * profiles.weekday_hours_online + 2 * profiles.weekend_hours_online') }} as "
    + NEW_METRIC
    + ",\n        "
)
PROFILE_COLUMNS = [f"avg_{NEW_METRIC}", f"median_{NEW_METRIC}", f"{NEW_METRIC}_index"]
# Columns a profiled, percentile-ranked metric adds, per YAML file and model: the docs every
# column has, and the contracts of the marts that carry it.
NEW_COLUMNS = {
    "models/intermediate/segmentation/_segmentation__models.yml": {
        "int_user_features": [NEW_METRIC],
        "int_segment_profiles": PROFILE_COLUMNS,
    },
    "models/marts/segmentation/_segmentation__models.yml": {
        "dim_segments": PROFILE_COLUMNS,
    },
    "models/marts/profiles/_profiles__models.yml": {
        "dim_rule_segments": PROFILE_COLUMNS,
        "dim_user_profiles": [f"{NEW_METRIC}_percentile"],
    },
}
NOT_COPIED = (".*", "build", "warehouse", "target", "logs", "dbt_packages", "mutants", "*.egg-info")


def add_metric(project: Path) -> None:
    """What README "Adding a metric" says to do, done to a copy of the project."""
    project_file = project / "dbt_project.yml"
    config = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    config["vars"]["catalogue"]["metrics"].append(NEW_ENTRY)
    project_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    features = project / "models/intermediate/segmentation/int_user_features.sql"
    sql = features.read_text(encoding="utf-8")
    anchor = "profiles.click_through_rate,"
    assert sql.count(anchor) == 1
    features.write_text(sql.replace(anchor, NEW_SQL + anchor), encoding="utf-8")

    for relative, models in NEW_COLUMNS.items():
        path = project / relative
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for model in spec["models"]:
            for name in models.get(model["name"], []):
                column = {"name": name, "description": f"{name} (test)"}
                if model.get("config", {}).get("contract", {}).get("enforced"):
                    column["data_type"] = "double"
                model["columns"].append(column)
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


@pytest.mark.dbt
def test_adding_a_metric_is_a_catalogue_entry_and_its_sql(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(*NOT_COPIED))
    add_metric(project)

    # Python without dbt reads it from the project file ...
    copied = load(project / "dbt_project.yml")
    assert NEW_METRIC in copied.profiled_metrics
    assert copied.naming_labels[NEW_METRIC] == "Likes-per-Hour"
    assert copied.described_metrics[-1].name == NEW_METRIC

    # ... and dbt builds it everywhere the catalogue says, clustering on it too.
    numeric = [*project_vars()["numeric_features"], NEW_METRIC]
    result = run_dbt(tmp_path / "dbt", project_dir=project, variables={"numeric_features": numeric})
    assert result.ok, result.output[-5000:]

    segments = result.frame(f"select description, {NEW_METRIC}_index from dim_segments")
    assert segments[f"{NEW_METRIC}_index"].notna().all()
    levels = segments["description"].str.extract(r"(\w+) likes per hour online")[0]
    assert set(levels) <= {"high", "low", "moderate"} and levels.notna().all()
    [(low, high)] = result.query(
        f"select min({NEW_METRIC}_percentile), max({NEW_METRIC}_percentile) from dim_user_profiles"
    )
    assert (low, high) == (0, 1)
    [(bins,)] = result.query(
        f"select count(*) from rpt_user_base_distributions where attribute_name = '{NEW_METRIC}'"
    )
    assert bins == project_vars()["histogram_bins"]
    [(indexes,)] = result.query(
        f"select count(*) from fct_segment_metric_indexes where metric_name = '{NEW_METRIC}'"
    )
    assert indexes == len(segments)
    [(fitted,)] = result.query(
        f"select count(*) from int_segment_model_history where model_column = '{NEW_METRIC}'"
    )
    assert fitted > 0
    [(ranked,)] = result.query(
        f"select count(*) from dim_rule_segments where {NEW_METRIC}_index is not null"
    )
    assert ranked > 0
