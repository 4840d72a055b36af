{# A list expression, or an empty list where it is null (e.g. after a left join that found
   nothing to aggregate). #}
{% macro list_or_empty(expression) %}
    {{ return(adapter.dispatch('list_or_empty', 'segmentation')(expression)) }}
{% endmacro %}

{% macro default__list_or_empty(expression) %}
    coalesce({{ expression }}, array[])
{%- endmacro %}

{% macro spark__list_or_empty(expression) %}
    coalesce({{ expression }}, array())
{%- endmacro %}

{% macro duckdb__list_or_empty(expression) %}
    coalesce({{ expression }}, [])
{%- endmacro %}
