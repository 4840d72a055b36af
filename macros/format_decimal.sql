{# A number as text with a fixed count of decimals ('0.163', '128'), for readable sentences. #}
{% macro format_decimal(expression, decimals) %}
    {{ return(adapter.dispatch('format_decimal', 'segmentation')(expression, decimals)) }}
{% endmacro %}

{% macro default__format_decimal(expression, decimals) %}
    cast(round({{ expression }}, {{ decimals }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__format_decimal(expression, decimals) %}
    printf('%.{{ decimals | int }}f', {{ expression }})
{%- endmacro %}
