"""Local Apache Spark's stand-in for Databricks' submission of dbt Python models.

dbt-spark runs SQL on local Spark in this process (profiles.yml, target ``spark``: method
``session``), but submits Python models only to Databricks: its submission helpers
(``job_cluster``, ``all_purpose_cluster``) call the Databricks API (dbt-labs/dbt-spark#415).
Here a model's compiled code (the model, then dbt-spark's code writing its table) runs in this
process on the SparkSession the SQL runs on: what a Databricks cluster does with the code it is
sent. For CI and trying the project on Spark; Databricks itself uses dbt-databricks' own methods.

``make spark-setup`` puts one line into a ``.pth`` file of ``.venv-spark``, so Python runs
:func:`install` at start-up. When dbt later imports dbt-spark's adapter, :func:`register` adds
the helper as submission method ``local_session`` and makes it the default of the session
method only (the other methods keep Databricks'). Nothing is imported until then. The module is
not named ``dbt_*``: dbt's plugin discovery imports every such module again, and exits.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from typing import Any

SUBMISSION_METHOD = "local_session"
ADAPTER_MODULE = "dbt.adapters.spark.impl"


class LocalSessionPythonJobHelper:
    """Runs a Python model's compiled code on the local SparkSession (dbt's PythonJobHelper
    interface: built with the parsed model and the credentials, then ``submit``)."""

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.model_name = str(parsed_model.get("alias") or parsed_model.get("name"))
        self.server_side_parameters = dict(getattr(credentials, "server_side_parameters", {}))

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        # The same builder as dbt-spark's session cursor: getOrCreate returns its session.
        builder = SparkSession.builder.enableHiveSupport()
        for name, value in self.server_side_parameters.items():
            builder = builder.config(name, value)
        code = compile(compiled_code, f"<dbt Python model {self.model_name}>", "exec")
        spark = builder.getOrCreate()
        exec(code, {"__name__": f"dbt_python_model_{self.model_name}", "spark": spark})


def register(adapter_class: type) -> None:
    """Add the helper to a dbt-spark adapter class's submission methods, as the default of the
    session method."""
    helpers = adapter_class.python_submission_helpers
    default = adapter_class.default_python_submission_method

    def python_submission_helpers(self: Any) -> dict[str, type]:
        return {**helpers.fget(self), SUBMISSION_METHOD: LocalSessionPythonJobHelper}

    def default_python_submission_method(self: Any) -> str:
        method = self.config.credentials.method
        if getattr(method, "value", method) == "session":
            return SUBMISSION_METHOD
        return default.fget(self)

    adapter_class.python_submission_helpers = property(python_submission_helpers)
    adapter_class.default_python_submission_method = property(default_python_submission_method)


class _RegisterOnImport(importlib.abc.MetaPathFinder):
    """Registers the helper once dbt-spark's adapter module has been executed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != ADAPTER_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            register(module.SparkAdapter)

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Register the helper when dbt-spark's adapter is imported (at once if it already is)."""
    if ADAPTER_MODULE in sys.modules:
        register(sys.modules[ADAPTER_MODULE].SparkAdapter)
    elif not any(isinstance(finder, _RegisterOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterOnImport())
