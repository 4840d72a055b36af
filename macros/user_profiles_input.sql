{# Where the export is read from: the table var user_profiles_source_table names (the source
   platform.user_profiles), the file user_profiles_path() names, or else the demo seed.
   Returns a relation, or what selects from the file (see read_user_profiles_file).
   whole_file: true for the one read of every row (base_platform__user_profile_rows), which may
   then read a CSV file on every core; a check or a look at the header leaves it false. #}
{% macro user_profiles_input(whole_file=false) %}
    {% set path = user_profiles_path() %}
    {% if var('user_profiles_source_table') %}
        {{ return(source('platform', 'user_profiles')) }}
    {% elif path %}
        {{ return(adapter.dispatch('read_user_profiles_file', 'segmentation')(path, whole_file)) }}
    {% else %}
        {{ return(ref('user_profiles_demo')) }}
    {% endif %}
{% endmacro %}


{# The input file: environment variable SEGMENTATION_USER_PROFILES_PATH, else var
   user_profiles_path; '' for the demo seed. The environment variable is taken literally (dbt
   renders --vars with Jinja, never an environment variable's value), so a program handing over
   a path it did not write should use it. Setting both to different paths is refused by
   check_settings: neither silently wins. #}
{% macro user_profiles_path() %}
    {% set from_env = env_var('SEGMENTATION_USER_PROFILES_PATH', '') %}
    {{ return(from_env if from_env else var('user_profiles_path')) }}
{% endmacro %}


{# How user_profiles_path() was set, for messages: the variable to change. #}
{% macro user_profiles_path_setting() %}
    {% if env_var('SEGMENTATION_USER_PROFILES_PATH', '') %}
        {{ return('environment variable SEGMENTATION_USER_PROFILES_PATH') }}
    {% endif %}
    {{ return('var user_profiles_path') }}
{% endmacro %}


{# The text encodings var user_profiles_encoding accepts. #}
{% macro accepted_encodings() %}
    {{ return(['utf-8', 'utf-16', 'latin-1']) }}
{% endmacro %}


{# Every value is read as text: staging parses, validates and quarantines it row by row.
   The delimiter is detected (spreadsheets in many locales write ';'); quotes are RFC 4180's
   (a field in double quotes may hold the delimiter, line breaks and doubled quotes); short
   rows are padded with blanks so they are quarantined rather than fail the read. #}
{% macro default__read_user_profiles_file(path, whole_file=false) %}
    {{ exceptions.raise_compiler_error(
        "Reading a file (" ~ user_profiles_path_setting() ~ ") is only implemented for DuckDB; "
        ~ "load the export into a source table on " ~ target.type ~ " instead."
    ) }}
{% endmacro %}


{# A CSV file is read by one thread unless csv_reads_in_parallel finds that every core can
   read it (whole_file only): DuckDB's parallel reader cannot pad short rows when a quoted field
   holds a line break, and stops on such a file. Lines DuckDB cannot read at all (text not valid
   in the encoding) are set aside in the temporary table user_profiles_read_errors rather than
   failing the read with DuckDB's advice about options the user cannot set:
   check_user_profiles_read stops the build on them with one message naming var
   user_profiles_encoding (no row is dropped silently). #}
{% macro duckdb__read_user_profiles_file(path, whole_file=false) %}
    {%- if (path | lower).endswith('.parquet') -%}
        {{ return("read_parquet(" ~ sql_string_literal(path) ~ ")") }}
    {%- else -%}
        {%- set parallel = whole_file and execute and csv_reads_in_parallel(path) -%}
        {{ return("read_csv(" ~ sql_string_literal(path) ~ csv_read_options()
            ~ ", null_padding = true, parallel = " ~ ('true' if parallel else 'false')
            ~ ", store_rejects = true, rejects_table = 'user_profiles_read_errors'"
            ~ ", rejects_scan = 'user_profiles_read_scans')") }}
    {%- endif -%}
{% endmacro %}


{# The options every DuckDB read of the CSV file shares: every value as text, the delimiter
   detected (spreadsheets in many locales write ';'), RFC 4180 quotes (a field in double quotes
   may hold the delimiter, line breaks and doubled quotes), the encoding of var
   user_profiles_encoding. #}
{% macro csv_read_options() %}
    {{ return(", all_varchar = true, header = true, strict_mode = false"
        ~ ", quote = '\"', escape = '\"'"
        ~ ", encoding = " ~ sql_string_literal(var('user_profiles_encoding'))) }}
{% endmacro %}


{# Whether every core can read the CSV file as one thread would: one parallel pass over it
   without padding finds every line with fewer fields than the header (a read error, set aside
   in a temporary table) and every field holding a line break. With none of either, the padded
   parallel read has nothing it cannot do; with any, the file is read by one thread, as before.
   Measured at 10M users (1.3 GB): this pass 4.3 s, the read 22 s on two cores against 45 s on
   one. The decision and its reason go to the log. #}
{% macro csv_reads_in_parallel(path) %}
    {%- set drop_probe_tables = "drop table if exists temp.main.user_profiles_probe_errors; "
        ~ "drop table if exists temp.main.user_profiles_probe_scans" -%}
    {%- do run_query(drop_probe_tables) -%}
    {%- set line_break = "'[' || chr(10) || chr(13) || ']'" -%}
    {%- set fields_with_line_breaks = run_query(
        "select count(*) filter (where regexp_matches(concat_ws('', *columns(*)), " ~ line_break ~ "))"
        ~ " from read_csv(" ~ sql_string_literal(path) ~ csv_read_options()
        ~ ", null_padding = false, parallel = true, store_rejects = true"
        ~ ", rejects_table = 'user_profiles_probe_errors', rejects_scan = 'user_profiles_probe_scans')"
    ).columns[0].values()[0] -%}
    {%- set has_errors = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = 'user_profiles_probe_errors'"
    ).columns[0].values()[0] -%}
    {%- set lines_with_errors = run_query(
        "select count(distinct line) from temp.main.user_profiles_probe_errors"
    ).columns[0].values()[0] if has_errors else 0 -%}
    {%- do run_query(drop_probe_tables) -%}
    {%- if fields_with_line_breaks == 0 and lines_with_errors == 0 -%}
        {%- do log("Reading " ~ path ~ " on every core: no field holds a line break, no line lacks fields.") -%}
        {{ return(true) }}
    {%- endif -%}
    {%- do log("Reading " ~ path ~ " by one thread (DuckDB's parallel reader cannot pad short rows"
        ~ " in a file with line breaks inside quotes). Rows with a line break inside a field: "
        ~ fields_with_line_breaks ~ "; lines with fewer fields than the header, or unreadable: "
        ~ lines_with_errors ~ ".", info=true) -%}
    {{ return(false) }}
{% endmacro %}


{# Spark reads the file through a temporary view of this session, user_profiles_file, (re)made
   here whenever a model selects from it: every column as text, RFC 4180 quotes (multiLine: a
   quoted field may hold line breaks), the delimiter of the header line (Spark does not detect
   it), in the encoding of var user_profiles_encoding. Short rows are padded with nulls and so
   quarantined; Spark reports no unreadable lines (check_user_profiles_read has none to find):
   text not valid in the encoding arrives as U+FFFD, and fields past the header's count are
   dropped (README, Engines). #}
{% macro spark__read_user_profiles_file(path, whole_file=false) %}
    {%- if execute -%}
        {%- if (path | lower).endswith('.parquet') -%}
            {%- set options = "using parquet options (path " ~ sql_string_literal(path) ~ ")" -%}
        {%- else -%}
            {%- set encodings = {'utf-8': 'UTF-8', 'utf-16': 'UTF-16', 'latin-1': 'ISO-8859-1'} -%}
            {%- set options = "using csv options (path " ~ sql_string_literal(path)
                ~ ", header 'true', multiLine 'true', quote '\"', escape '\"', mode 'PERMISSIVE'"
                ~ ", sep " ~ sql_string_literal(spark_header_delimiter(path))
                ~ ", encoding '" ~ encodings[var('user_profiles_encoding')] ~ "')" -%}
        {%- endif -%}
        {%- do run_query("create or replace temporary view user_profiles_file " ~ options) -%}
    {%- endif -%}
    {{ return('user_profiles_file') }}
{% endmacro %}


{# The delimiter of a CSV file for Spark: of , ; tab and |, the one its first line holds most
   often (',' when it holds none). #}
{% macro spark_header_delimiter(path) %}
    {%- set line = run_query("select value from text.`" ~ path | replace('`', '``') ~ "` limit 1").columns[0].values() -%}
    {%- set header = line[0] if line | length > 0 and line[0] else '' -%}
    {%- set best = {'delimiter': ',', 'count': 0} -%}
    {%- for delimiter in [',', ';', '\t', '|'] -%}
        {%- if header.count(delimiter) > best['count'] -%}
            {%- do best.update({'delimiter': delimiter, 'count': header.count(delimiter)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(best['delimiter']) }}
{% endmacro %}


{# The position of each row of base_platform__user_profile_rows among the input's data rows
   (1 = the first), in input order: source_row_number. That table is written in input order,
   so on DuckDB the position is its stored row id: the pass keeps every core busy (from Parquet
   or the seed), where `row_number() over ()` while reading runs it on one thread.
   preserve_insertion_order must be on (profiles.yml; check_settings refuses a run without it).
   The default, `row_number() over ()`, relies on the engine keeping the table's order. Select
   it from the table itself, not a view or CTE over it. #}
{% macro input_row_number() %}
    {{ return(adapter.dispatch('input_row_number', 'segmentation')()) }}
{% endmacro %}

{% macro default__input_row_number() %}
    {{ return("row_number() over ()") }}
{% endmacro %}

{% macro duckdb__input_row_number() %}
    {{ return("rowid + 1") }}
{% endmacro %}

{#- Spark stores no row order: a table's rows are numbered by the file they are in and their
    position in it (the order its one writing job wrote them in). -#}
{% macro spark__input_row_number() %}
    {{ return("row_number() over (order by _metadata.file_name, _metadata.row_index)") }}
{% endmacro %}


{# A setting turned into a SQL string literal: quotes doubled, so no value can end the string. #}
{% macro sql_string_literal(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}
