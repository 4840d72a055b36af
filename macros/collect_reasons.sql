{# A list of the non-null values among `expressions`: the reasons a row is rejected.
   DuckDB builds it with list functions; other engines supply their own implementation. #}
{% macro collect_reasons(expressions) %}
    {{ return(adapter.dispatch('collect_reasons', 'segmentation')(expressions)) }}
{% endmacro %}

{% macro default__collect_reasons(expressions) %}
    {{ engine_not_supported('collect_reasons') }}
{% endmacro %}

{% macro spark__collect_reasons(expressions) %}
    array_compact(array({{ expressions | join(', ') }}))
{% endmacro %}

{% macro duckdb__collect_reasons(expressions) %}
    list_filter([{{ expressions | join(', ') }}], lambda reason: reason is not null)
{% endmacro %}
