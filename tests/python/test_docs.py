"""The docs `dbt docs generate` writes: every column the warehouse holds is described, and so is
every macro of the project (STYLE: "every column has a description"; issue 14: lean docs with
0 undescribed columns). The checks are plain functions over manifest.json and catalog.json,
tried on small hand-written pairs first, then on the demo build."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import PROJECT_DIR, DbtResult, run_dbt

# The nodes catalog.json lists that a reader of the docs sees columns of (sources are the
# platform's, described where they are declared; tests have no columns).
DOCUMENTED_RESOURCES = ("model", "seed", "snapshot")


def undescribed_columns(manifest: dict, catalog: dict) -> list[str]:
    """`<unique_id>.<column>` for every column of a model, seed or snapshot in the catalog (what
    the warehouse holds) without a non-blank description in the manifest. Names match
    case-insensitively, as the warehouse may fold the case of a name the YAML spells otherwise."""
    missing = []
    for unique_id, node in catalog["nodes"].items():
        if unique_id.split(".", 1)[0] not in DOCUMENTED_RESOURCES:
            continue
        documented = manifest["nodes"].get(unique_id, {}).get("columns", {})
        descriptions = {
            name.lower(): (column.get("description") or "") for name, column in documented.items()
        }
        missing += [
            f"{unique_id}.{name}"
            for name in node["columns"]
            if not descriptions.get(name.lower(), "").strip()
        ]
    return sorted(missing)


def undescribed_macros(manifest: dict, package: str) -> list[str]:
    """The unique ids of the macros of `package` with a blank description."""
    return sorted(
        unique_id
        for unique_id, macro in manifest["macros"].items()
        if macro["package_name"] == package and not (macro.get("description") or "").strip()
    )


def manifest_with(columns: dict[str, str], macros: dict[str, str] | None = None) -> dict:
    return {
        "nodes": {
            "model.shop.orders": {
                "columns": {
                    name: {"name": name, "description": text} for name, text in columns.items()
                }
            }
        },
        "macros": {
            f"macro.{package}.{name}": {"package_name": package, "description": text}
            for name, (package, text) in (macros or {}).items()
        },
    }


def catalog_with(columns: list[str], unique_id: str = "model.shop.orders") -> dict:
    return {"nodes": {unique_id: {"columns": {name: {"name": name} for name in columns}}}}


def test_described_columns_pass():
    manifest = manifest_with({"order_id": "The order.", "amount": "In USD."})
    assert undescribed_columns(manifest, catalog_with(["order_id", "amount"])) == []


@pytest.mark.parametrize("blank", ["", "  \n"])
def test_a_blank_description_is_reported(blank):
    manifest = manifest_with({"order_id": "The order.", "amount": blank})
    assert undescribed_columns(manifest, catalog_with(["order_id", "amount"])) == [
        "model.shop.orders.amount"
    ]


def test_a_column_the_yaml_leaves_out_is_reported():
    manifest = manifest_with({"order_id": "The order."})
    assert undescribed_columns(manifest, catalog_with(["order_id", "amount"])) == [
        "model.shop.orders.amount"
    ]


def test_a_node_the_manifest_lacks_reports_every_column():
    manifest = manifest_with({"order_id": "The order."})
    catalog = catalog_with(["Customer ID"], unique_id="seed.shop.customers")
    assert undescribed_columns(manifest, catalog) == ["seed.shop.customers.Customer ID"]


def test_names_match_whatever_their_case():
    manifest = manifest_with({"Order ID": "The order.", "amount": "In USD."})
    assert undescribed_columns(manifest, catalog_with(["order id", "AMOUNT"])) == []


def test_sources_are_left_to_their_declaration():
    catalog = catalog_with(["raw"], unique_id="source.shop.raw.orders")
    assert undescribed_columns(manifest_with({}), catalog) == []


def test_undescribed_macros_of_the_package_only():
    manifest = manifest_with(
        {},
        macros={
            "described": ("shop", "Does a thing."),
            "blank": ("shop", " "),
            "theirs": ("dbt", ""),
        },
    )
    assert undescribed_macros(manifest, "shop") == ["macro.shop.blank"]


@pytest.fixture(scope="module")
def generated_docs(demo_build: DbtResult, tmp_path_factory) -> tuple[dict, dict]:
    """manifest.json and catalog.json of `dbt docs generate` on the demo warehouse."""
    workdir = tmp_path_factory.mktemp("docs")
    result = run_dbt(workdir, "docs generate", database=demo_build.database)
    assert result.ok, result.output[-5000:]
    target = workdir / "target"
    return (
        json.loads((target / "manifest.json").read_text()),
        json.loads((target / "catalog.json").read_text()),
    )


@pytest.mark.dbt
def test_the_catalog_covers_every_model_and_seed(generated_docs):
    """Else a catalog that lost nodes would pass the column check below."""
    manifest, catalog = generated_docs
    assert not catalog.get("errors"), catalog["errors"]
    built = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in DOCUMENTED_RESOURCES and node["config"]["enabled"]
    }
    assert built and built <= set(catalog["nodes"])


@pytest.mark.dbt
def test_every_column_in_the_warehouse_is_described(generated_docs):
    manifest, catalog = generated_docs
    assert undescribed_columns(manifest, catalog) == []


@pytest.mark.dbt
def test_every_macro_of_the_project_is_described(generated_docs):
    manifest, _ = generated_docs
    package = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["name"]
    assert any(macro["package_name"] == package for macro in manifest["macros"].values())
    assert undescribed_macros(manifest, package) == []
