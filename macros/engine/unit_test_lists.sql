{# A unit test's fixture value cast to its column's type (dbt's safe_cast, which dbt's unit
   tests call), with list values on Spark: fixtures write a list as YAML (`[1, 2]`) or as DuckDB
   reads it from text (`"[missing_gender]"`), neither of which Spark can cast. They become
   array(...) literals; every other value is dbt-spark's cast. This overrides dbt-spark's macro
   of the same name (dbt_project.yml, `dispatch`). #}
{% macro spark__safe_cast(field, type) %}
    {%- set is_list_text = field is string and field.startswith("'[") and field.endswith("]'") -%}
    {%- set is_list = field is iterable and field is not string and field is not mapping -%}
    {%- if (type | string | trim | lower).startswith('array<') and (is_list_text or is_list) -%}
        {%- set items = [] -%}
        {%- set values = field[2:-2].split(',') if is_list_text else field -%}
        {%- for value in values -%}
            {%- if value is number -%}
                {%- do items.append(value | string) -%}
            {%- elif value | trim | trim('"') -%}
                {%- do items.append(sql_string_literal(value | trim | trim('"'))) -%}
            {%- endif -%}
        {%- endfor -%}
        cast(array({{ items | join(', ') }}) as {{ type }})
    {%- else -%}
        {{ dbt.spark__safe_cast(field, type) }}
    {%- endif -%}
{%- endmacro %}
