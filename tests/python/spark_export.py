"""Copies every relation a local Spark build made in schema ``segmentation`` (tables and views)
to Parquet, for ``test_spark_marts.py`` to compare with the DuckDB build. That test runs in the
main virtualenv, which has no Spark, and Spark's views exist only in its metastore.

Run by ``make test-spark`` with ``.venv-spark``'s Python:
``spark_export.py BUILD_DIR OUT_DIR``, where BUILD_DIR is the build's $SEGMENTATION_BUILD_DIR
(profiles.yml puts the metastore and tables under BUILD_DIR/spark). OUT_DIR must not exist.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCHEMA = "segmentation"


def export(build_dir: Path, out_dir: Path) -> list[str]:
    from pyspark.sql import SparkSession

    spark_dir = build_dir.resolve() / "spark"
    # The settings of profiles.yml's spark output that locate the metastore and the tables.
    spark = (
        SparkSession.builder.enableHiveSupport()
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    out_dir.mkdir(parents=True)
    names = [row.tableName for row in spark.sql(f"show tables in {SCHEMA}").collect()]
    for name in names:
        spark.table(f"{SCHEMA}.{name}").coalesce(1).write.parquet(str(out_dir / name))
    spark.stop()
    return names


if __name__ == "__main__":
    exported = export(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"exported {len(exported)} Spark relations to {sys.argv[2]}")
