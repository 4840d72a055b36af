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


{# The position of each row of user_profiles_input() among the input's data rows (1 = first),
   in file order. `row_number() over ()` needs the engine to keep file order (DuckDB:
   preserve_insertion_order); a single Parquet file has it stored, so no window is needed. #}
{% macro user_profiles_row_number() %}
    {{ return(adapter.dispatch('user_profiles_row_number', 'segmentation')()) }}
{% endmacro %}

{% macro default__user_profiles_row_number() %}
    {{ return("row_number() over ()") }}
{% endmacro %}

{% macro duckdb__user_profiles_row_number() %}
    {%- set path = var('user_profiles_path', '') -%}
    {%- set is_glob = '*' in path or '?' in path or '[' in path -%}
    {%- if (path | lower).endswith('.parquet') and not is_glob -%}
        {{ return("file_row_number + 1") }}
    {%- else -%}
        {{ return("row_number() over ()") }}
    {%- endif -%}
{% endmacro %}


{# A setting turned into a SQL string literal: quotes doubled, so no value can end the string. #}
{% macro sql_string_literal(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}
