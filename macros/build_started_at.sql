{# When this dbt command started (UTC), as a timestamp literal: the same value in every model of
   one build, on every engine. #}
{% macro build_started_at() %}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
