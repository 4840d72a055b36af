{# Where the export is read from: the demo seed, or the file in var user_profiles_path.
   Returns a relation or a table-function call to select from. #}
{% macro user_profiles_input() %}
    {% set path = var('user_profiles_path', '') %}
    {% if path %}
        {{ return(adapter.dispatch('read_user_profiles_file', 'segmentation')(path)) }}
    {% else %}
        {{ return(ref('user_profiles_demo')) }}
    {% endif %}
{% endmacro %}


{# Every value is read as text: staging parses, validates and quarantines it row by row.
   The delimiter is detected (spreadsheets in many locales write ';'); short rows are padded
   with blanks so they are quarantined rather than fail the read. #}
{% macro default__read_user_profiles_file(path) %}
    {{ exceptions.raise_compiler_error(
        "Reading a file (var user_profiles_path) is only implemented for DuckDB; "
        ~ "load the export into a source table on " ~ target.type ~ " instead."
    ) }}
{% endmacro %}


{% macro duckdb__read_user_profiles_file(path) %}
    {%- if (path | lower).endswith('.parquet') -%}
        {{ return("read_parquet(" ~ sql_string_literal(path) ~ ")") }}
    {%- else -%}
        {{ return("read_csv(" ~ sql_string_literal(path)
            ~ ", all_varchar = true, header = true, null_padding = true, strict_mode = false"
            ~ ", encoding = " ~ sql_string_literal(var('user_profiles_encoding', 'utf-8')) ~ ")") }}
    {%- endif -%}
{% endmacro %}


{# The position of each row of base_platform__user_profile_rows among the input's data rows
   (1 = the first), in input order: source_row_number. That table is written in input order,
   so on DuckDB the position is its stored row id: the read keeps every core busy, where
   `row_number() over ()` while reading runs on one thread. preserve_insertion_order must be
   on (profiles.yml; check_settings refuses a run without it). Select it from the table
   itself, not a view or CTE over it. #}
{% macro input_row_number() %}
    {{ return(adapter.dispatch('input_row_number', 'segmentation')()) }}
{% endmacro %}

{% macro default__input_row_number() %}
    {{ return("row_number() over ()") }}
{% endmacro %}

{% macro duckdb__input_row_number() %}
    {{ return("rowid + 1") }}
{% endmacro %}


{# A setting turned into a SQL string literal: quotes doubled, so no value can end the string. #}
{% macro sql_string_literal(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}
