{# A lateral table of the parts of a delimited text column, one row per part, named `alias`.
   Use as `cross join {{ explode_list(...) }}`. #}
{% macro explode_list(column, delimiter, alias) %}
    {{ return(adapter.dispatch('explode_list', 'segmentation')(column, delimiter, alias)) }}
{% endmacro %}

{% macro default__explode_list(column, delimiter, alias) %}
    lateral (select value as {{ alias }} from string_split({{ column }}, '{{ delimiter }}'))
{% endmacro %}

{% macro duckdb__explode_list(column, delimiter, alias) %}
    unnest(string_split({{ column }}, '{{ delimiter }}')) as exploded_parts ({{ alias }})
{% endmacro %}
