{# A number as text with a fixed count of decimals ('0.163', '128'), for readable sentences. #}
{% macro format_decimal(expression, decimals) %}
    {{ return(adapter.dispatch('format_decimal', 'segmentation')(expression, decimals)) }}
{% endmacro %}

{#- Through a decimal of that scale: a rounded double alone prints 0.5, not 0.500. -#}
{% macro default__format_decimal(expression, decimals) %}
    cast(cast(round({{ expression }}, {{ decimals | int }}) as decimal(38, {{ decimals | int }})) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__format_decimal(expression, decimals) %}
    printf('%.{{ decimals | int }}f', {{ expression }})
{%- endmacro %}

{#- Java's %f rounds a tie in the shortest decimal form up (0.1235 -> '0.124'), C's printf
    rounds the exact binary value ('0.123'): a value on such a tie can read differently. -#}
{% macro spark__format_decimal(expression, decimals) %}
    format_string('%.{{ decimals | int }}f', {{ expression }})
{%- endmacro %}
