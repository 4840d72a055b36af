{# The median of a numeric column. #}
{% macro median(column) %}
    {{ return(adapter.dispatch('median', 'segmentation')(column)) }}
{% endmacro %}

{% macro default__median(column) %}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__median(column) %}
    median({{ column }})
{%- endmacro %}

{% macro spark__median(column) %}
    median({{ column }})
{%- endmacro %}
