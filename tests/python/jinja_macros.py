"""Render one of the project's dbt macros with plain Jinja, to test the SQL it emits without dbt.

Only for macros that use plain Jinja (no dbt context: ref, adapter, run_query): e.g. an
engine's implementation of a dispatched macro, called directly by its full name. What little of
dbt's context a macro reads (`this`, `config`, ...) the caller passes in `context`.
"""

from __future__ import annotations

from typing import Any

import jinja2

from conftest import PROJECT_DIR


def render_macro(path: str, name: str, *args: Any, context: dict[str, Any] | None = None) -> str:
    """The text the macro ``name`` of ``macros/<path>`` returns for ``args``, with the names in
    ``context`` defined (stand-ins for dbt's)."""
    environment = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
    source = (PROJECT_DIR / "macros" / path).read_text(encoding="utf-8")
    module = environment.from_string(source, globals=context).module
    return str(getattr(module, name)(*args)).strip()
