{# A 64-bit floating-point type. dbt's type_float() is a 32-bit FLOAT on DuckDB, which would
   store a CTR of 0.128 as 0.12800000607967377 and round large counts. #}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'segmentation')()) }}
{% endmacro %}

{% macro default__type_double() %}
    {{ return('double precision') }}
{% endmacro %}

{% macro duckdb__type_double() %}
    {{ return('double') }}
{% endmacro %}

{% macro spark__type_double() %}
    {{ return('double') }}
{% endmacro %}
