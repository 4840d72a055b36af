{# A lateral table of the elements of a list column, one row per element, named `alias`.
   Use as `cross join {{ explode_list(...) }}`. #}
{% macro explode_list(list_column, alias) %}
    {{ return(adapter.dispatch('explode_list', 'segmentation')(list_column, alias)) }}
{% endmacro %}

{% macro default__explode_list(list_column, alias) %}
    lateral (select value as {{ alias }} from unnest({{ list_column }}) as elements (value))
{% endmacro %}

{% macro duckdb__explode_list(list_column, alias) %}
    unnest({{ list_column }}) as exploded_elements ({{ alias }})
{% endmacro %}
