{# How a CTE read more than once is kept. DuckDB 2.0 stores a copy of every CTE read twice:
   `as not materialized` streams it again for each reader (for relations too large to store),
   `as materialized` stores it once (a narrow join cheaper to store than to repeat). Another
   engine gets a plain `as` and plans the CTE itself. Use: `name {{ as_not_materialized() }} (`. #}
{% macro as_not_materialized() %}
    {{ return(adapter.dispatch('as_not_materialized', 'segmentation')()) }}
{% endmacro %}

{% macro default__as_not_materialized() %}
    {{ return('as') }}
{% endmacro %}

{% macro duckdb__as_not_materialized() %}
    {{ return('as not materialized') }}
{% endmacro %}


{% macro as_materialized() %}
    {{ return(adapter.dispatch('as_materialized', 'segmentation')()) }}
{% endmacro %}

{% macro default__as_materialized() %}
    {{ return('as') }}
{% endmacro %}

{% macro duckdb__as_materialized() %}
    {{ return('as materialized') }}
{% endmacro %}
