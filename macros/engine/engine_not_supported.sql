{# The default__ of a dispatched macro that has no portable SQL: stops the compile naming the
   macro and the engine, rather than sending DuckDB SQL to an engine that would misread it. #}
{% macro engine_not_supported(macro_name) %}
    {{ exceptions.raise_compiler_error(
        "Macro " ~ macro_name ~ " has no implementation for the " ~ target.type ~ " engine: its SQL"
        ~ " is engine-specific (see duckdb__" ~ macro_name ~ "). Add " ~ target.type ~ "__"
        ~ macro_name ~ " (README, Design: one seam per engine)."
    ) }}
{% endmacro %}
