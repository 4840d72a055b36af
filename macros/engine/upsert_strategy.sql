{# The incremental strategy that replaces a model's rows by unique_key (an upsert): DuckDB
   deletes and inserts; other engines merge. dbt-spark merges only into Delta (Iceberg, Hudi)
   tables: local Spark's Parquet tables are overwritten instead, which keeps the first build
   right but not the history of later ones (README, Engines). #}
{% macro upsert_strategy() %}
    {{ return(adapter.dispatch('upsert_strategy', 'segmentation')()) }}
{% endmacro %}

{% macro default__upsert_strategy() %}
    {{ return('merge') }}
{% endmacro %}

{% macro duckdb__upsert_strategy() %}
    {{ return('delete+insert') }}
{% endmacro %}

{% macro spark__upsert_strategy() %}
    {% if config.get('file_format', 'delta') in ('delta', 'iceberg', 'hudi') %}
        {{ return('merge') }}
    {% endif %}
    {{ return('insert_overwrite') }}
{% endmacro %}
