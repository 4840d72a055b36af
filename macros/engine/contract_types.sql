{# The column types of the marts' contracts (their YAML data_type) are written as DuckDB names.
   On Spark, dbt's check of a contract casts nulls to those types (get_empty_schema_sql): they
   are given in Spark's names first, so the contracts hold on both engines from one YAML. This
   overrides dbt-spark's macro of the same name (dbt_project.yml, `dispatch`). #}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copied = dict(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copied.update({'data_type': spark_type_name(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copied}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(translated)) }}
{% endmacro %}


{# A DuckDB type name as Spark's: varchar is string, a list `t[]` is array<t>. #}
{% macro spark_type_name(duckdb_type) %}
    {%- set name = duckdb_type | trim | lower -%}
    {%- if name.endswith('[]') -%}
        {{ return('array<' ~ spark_type_name(name[:-2]) ~ '>') }}
    {%- elif name == 'varchar' -%}
        {{ return('string') }}
    {%- endif -%}
    {{ return(name) }}
{% endmacro %}
