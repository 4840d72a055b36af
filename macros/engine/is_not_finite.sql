{# Whether a floating-point value is NaN or infinite (a text such as 'inf' or 'nan' casts to
   one). In portable SQL: x - x is 0 for every finite x and NaN otherwise, and NaN = 0 is false
   on engines that order NaN as a value (DuckDB, Spark, PostgreSQL). #}
{% macro is_not_finite(expression) %}
    {{ return(adapter.dispatch('is_not_finite', 'segmentation')(expression)) }}
{% endmacro %}

{% macro default__is_not_finite(expression) %}
    not ({{ expression }} - {{ expression }} = 0)
{%- endmacro %}

{% macro duckdb__is_not_finite(expression) %}
    isnan({{ expression }}) or isinf({{ expression }})
{%- endmacro %}
