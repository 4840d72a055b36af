{# `expression` cast to `type`, or null where it doesn't convert (never an error). dbt's own
   safe_cast is a plain cast on DuckDB, which stops the whole build at the first bad value. #}
{% macro try_cast(expression, type) %}
    {{ return(adapter.dispatch('try_cast', 'segmentation')(expression, type)) }}
{% endmacro %}

{% macro default__try_cast(expression, type) %}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, type) %}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- dbt-spark's safe_cast is a plain cast too, which stops the query in ANSI mode. -#}
{% macro spark__try_cast(expression, type) %}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}
