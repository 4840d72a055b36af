{# The incremental strategy that replaces a model's rows by unique_key (an upsert): DuckDB
   deletes and inserts; other engines merge. dbt-spark merges only into Delta (Iceberg, Hudi)
   tables: local Spark's Parquet tables are overwritten instead (insert_overwrite, the whole
   table). Spark refuses to overwrite a table the query reads, and an overwrite keeps no row
   the query leaves out: an upsert model that reads its own previous rows reads them from
   `upsert_previous_rows()` and ends with `upsert_kept_rows(...)`, which take care of both. #}
{% macro upsert_strategy() %}
    {{ return(adapter.dispatch('upsert_strategy', 'segmentation')()) }}
{% endmacro %}

{% macro default__upsert_strategy() %}
    {{ return('merge') }}
{% endmacro %}

{% macro duckdb__upsert_strategy() %}
    {{ return('delete+insert') }}
{% endmacro %}

{#- Text, not return(): the other spark__ upsert macros call it (and tests render it). -#}
{% macro spark__upsert_strategy() -%}
    {{ 'merge' if config.get('file_format', 'delta') in ('delta', 'iceberg', 'hudi') else 'insert_overwrite' }}
{%- endmacro %}


{# The relation an upsert model's incremental branch reads its previous rows from: its own
   table, except where the upsert overwrites it; there, the copy `<this>__previous` that the
   pre-hook `copy_upsert_previous_rows()` makes. #}
{% macro upsert_previous_rows() %}
    {{ return(adapter.dispatch('upsert_previous_rows', 'segmentation')()) }}
{% endmacro %}

{% macro default__upsert_previous_rows() %}
    {{ return(this) }}
{% endmacro %}

{% macro duckdb__upsert_previous_rows() %}
    {{ return(this) }}
{% endmacro %}

{% macro spark__upsert_previous_rows() -%}
    {%- if spark__upsert_strategy() == 'insert_overwrite' -%}
        {{ this.incorporate(path={'identifier': this.identifier ~ '__previous'}) }}
    {%- else -%}
        {{ this }}
    {%- endif -%}
{%- endmacro %}


{# pre-hook of an upsert model that reads `upsert_previous_rows()`: where the upsert overwrites
   the table and the table exists, replaces the copy of its rows with the current ones (the
   copy stays until the next build replaces it); elsewhere nothing. #}
{% macro copy_upsert_previous_rows() %}
    {{ return(adapter.dispatch('copy_upsert_previous_rows', 'segmentation')()) }}
{% endmacro %}

{% macro default__copy_upsert_previous_rows() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__copy_upsert_previous_rows() %}
    {{ return('') }}
{% endmacro %}

{#- One statement per call: Spark runs no statement list. -#}
{% macro spark__copy_upsert_previous_rows() -%}
    {%- if is_incremental() and spark__upsert_strategy() == 'insert_overwrite' -%}
        {%- set copy = spark__upsert_previous_rows() -%}
        {%- do run_query('drop table if exists ' ~ copy) -%}
        create table {{ copy }} using parquet as select * from {{ this }}
    {%- endif -%}
{%- endmacro %}


{# SQL that ends an upsert model's incremental select (`select * from <new>`): where the upsert
   overwrites the whole table, `union all` the rows of `previous` whose `unique_key` has no
   row in `new`, which a merge or a delete+insert keeps by itself; elsewhere nothing. #}
{% macro upsert_kept_rows(previous, new, unique_key) %}
    {{ return(adapter.dispatch('upsert_kept_rows', 'segmentation')(previous, new, unique_key)) }}
{% endmacro %}

{% macro default__upsert_kept_rows(previous, new, unique_key) %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__upsert_kept_rows(previous, new, unique_key) %}
    {{ return('') }}
{% endmacro %}

{% macro spark__upsert_kept_rows(previous, new, unique_key) -%}
    {%- if spark__upsert_strategy() == 'insert_overwrite' %}
union all
select {{ previous }}.* from {{ previous }}
left anti join {{ new }}
    on {{ previous }}.{{ unique_key }} = {{ new }}.{{ unique_key }}
    {%- endif -%}
{%- endmacro %}
