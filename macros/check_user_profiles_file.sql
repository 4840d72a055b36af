{# on-run-start: stop before any model runs when the input cannot be used, with one message
   naming the file or table and what to fix. The embedded seed is checked by its own tests
   instead. Reads the start of a file only (a 10M-row file is not read twice): an encoding error
   further down is caught while the file is read (check_user_profiles_read). #}
{% macro check_user_profiles_file() %}
    {% set path = user_profiles_path() %}
    {% set table = var('user_profiles_source_table') %}
    {% if not execute or not (path or table) or not flags.WHICH in ('build', 'run', 'test', 'seed', 'compile') %}
        {{ return('') }}
    {% endif %}
    {% set where = user_profiles_input_label() %}

    {% if table %}
        {% if load_relation(source('platform', 'user_profiles')) is none %}
            {{ exceptions.raise_compiler_error(where ~ ": no such table.") }}
        {% endif %}
    {% else %}
        {% set size = user_profiles_file_size(path) %}
        {% if size is none %}
            {{ exceptions.raise_compiler_error(where ~ ": no such file.") }}
        {% elif size == 0 %}
            {{ exceptions.raise_compiler_error(where ~ ": the file is empty (0 bytes): no header and no rows.") }}
        {% endif %}
        {% if not (path | lower).endswith('.parquet') %}
            {% set encoding_problem = user_profiles_encoding_mismatch(path) %}
            {% if encoding_problem %}
                {{ exceptions.raise_compiler_error(where ~ ": " ~ encoding_problem) }}
            {% endif %}
            {% set drop_read_errors = drop_user_profiles_read_errors() %}
            {% if drop_read_errors %}
                {% do run_query(drop_read_errors) %}
            {% endif %}
        {% endif %}
    {% endif %}

    {% set mapped = map_export_columns(user_profiles_input_headers()) %}
    {% if mapped.missing %}
        {% set names = [] %}
        {% for staging_name in mapped.missing %}
            {% do names.append("'" ~ export_header(staging_name) ~ "'") %}
        {% endfor %}
        {{ exceptions.raise_compiler_error(
            where ~ ": missing required column(s) " ~ names | join(', ')
            ~ ". Found: " ~ user_profiles_input_headers() | join(', ')
            ~ ". Accepted spellings are listed in README (Your own data)."
        ) }}
    {% endif %}
    {% if mapped.extra %}
        {{ log(where ~ ": ignoring extra column(s) " ~ mapped.extra | join(', '), info=true) }}
    {% endif %}

    {#- One row is enough to know; counting them all would read the whole input once more. -#}
    {% set rows = run_query("select count(*) from (select 1 from " ~ user_profiles_input() ~ " limit 1) as first_row").columns[0].values()[0] %}
    {% if rows == 0 %}
        {% set unreadable = user_profiles_read_problem() if path and not table else '' %}
        {{ exceptions.raise_compiler_error(
            where ~ ": " ~ (unreadable if unreadable else "no rows: the " ~ ('table' if table else 'file') ~ " has a header but no users.")
        ) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{# The size in bytes of the input file, or none when there is no such file. #}
{% macro user_profiles_file_size(path) %}
    {{ return(adapter.dispatch('user_profiles_file_size', 'segmentation')(path)) }}
{% endmacro %}

{% macro default__user_profiles_file_size(path) %}
    {{ return(engine_not_supported('user_profiles_file_size')) }}
{% endmacro %}

{% macro duckdb__user_profiles_file_size(path) %}
    {% set count = run_query("select count(*) from glob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0] %}
    {% if count == 0 %}
        {{ return(none) }}
    {% endif %}
    {{ return(run_query("select size from read_blob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0]) }}
{% endmacro %}

{#- Spark lists the file's folder (binaryFile, filtered to the file's name; its content is not
    read). A missing folder stops the run with Spark's own message, which names it. -#}
{% macro spark__user_profiles_file_size(path) %}
    {% set parts = path.rsplit('/', 1) %}
    {% set folder, name = (parts[0] or '/', parts[1]) if parts | length == 2 else ('.', path) %}
    {% do run_query("create or replace temporary view user_profiles_file_listing using binaryFile"
        ~ " options (path " ~ sql_string_literal(folder) ~ ", pathGlobFilter " ~ sql_string_literal(name)
        ~ ", recursiveFileLookup 'false')") %}
    {% set listed = run_query("select count(*), max(length) from user_profiles_file_listing") %}
    {{ return(none if listed.columns[0].values()[0] == 0 else listed.columns[1].values()[0]) }}
{% endmacro %}


{# "Input file <path> (<the setting it came from>)", the start of every message about the file. #}
{% macro user_profiles_file_label() %}
    {{ return("Input file " ~ user_profiles_path() ~ " (" ~ user_profiles_path_setting() ~ ")") }}
{% endmacro %}


{# What is wrong with var user_profiles_encoding for this file, judged from its first lines, or ''.
   They are read as utf-8 with unreadable lines skipped (DuckDB's latin-1 refuses bytes 0x80 to
   0x9F outright), so this read cannot fail on the encoding it checks. UTF-16 text has a zero
   byte in every ASCII character; UTF-8 and latin-1 text has none. #}
{% macro user_profiles_encoding_mismatch(path) %}
    {% set encoding = var('user_profiles_encoding') %}
    {% set first_line = run_query(adapter.dispatch('first_line_has_zero_byte', 'segmentation')(path)) %}
    {% if first_line.rows | length == 0 %}
        {{ return('') }}
    {% endif %}
    {% set looks_utf_16 = first_line.columns[0].values()[0] %}
    {% if looks_utf_16 and encoding != 'utf-16' %}
        {{ return("the file looks UTF-16 encoded (it has zero bytes between its characters), "
            ~ "but var user_profiles_encoding is '" ~ encoding ~ "'." ~ encoding_advice('utf-16')) }}
    {% elif encoding == 'utf-16' and not looks_utf_16 %}
        {{ return("var user_profiles_encoding is 'utf-16', but the file does not start like "
            ~ "UTF-16 text (no zero bytes between its characters)." ~ encoding_advice('utf-8')) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{# SQL giving one row, looks_utf_16: whether the file's first line holds a zero byte (none when the
   file has no line). #}
{% macro default__first_line_has_zero_byte(path) %}
    {{ return(engine_not_supported('first_line_has_zero_byte')) }}
{% endmacro %}

{% macro duckdb__first_line_has_zero_byte(path) %}
    {{ return("select contains(line, chr(0)) as looks_utf_16"
        ~ " from read_csv(" ~ sql_string_literal(path) ~ ", header = false, auto_detect = false"
        ~ ", columns = {'line': 'varchar'}, delim = chr(31), quote = '', escape = ''"
        ~ ", new_line = '\\n', encoding = 'utf-8', strict_mode = false, null_padding = true"
        ~ ", ignore_errors = true) where line is not null limit 1") }}
{% endmacro %}

{#- Spark's text source reads lines as UTF-8, replacing what is not valid. -#}
{% macro spark__first_line_has_zero_byte(path) %}
    {{ return("select instr(value, char(0)) > 0 as looks_utf_16"
        ~ " from text.`" ~ path | replace('`', '``') ~ "` limit 1") }}
{% endmacro %}


{# What to do about an encoding error: the var, its accepted values and an example. DuckDB's
   latin-1 is ISO 8859-1 without bytes 0x80 to 0x9F, where Windows-1252 has € ‘ ’ “ ” – —. #}
{% macro encoding_advice(example) %}
    {{ return(" Set var user_profiles_encoding to the file's encoding, one of: "
        ~ accepted_encodings() | join(', ') ~ ", e.g. --vars '{user_profiles_encoding: "
        ~ example ~ "}' (a Windows-1252 file with characters such as € or curly quotes must be "
        ~ "converted to UTF-8 first).") }}
{% endmacro %}


{# SQL dropping the temporary tables a CSV read sets its unreadable lines aside in
   (duckdb__read_user_profiles_file), so that the next read's are the only ones in them; none
   when the input is the seed (a table, on any engine). #}
{% macro drop_user_profiles_read_errors() %}
    {{ return(adapter.dispatch('drop_user_profiles_read_errors', 'segmentation')()) }}
{% endmacro %}

{#- Other engines set no lines aside (see spark__read_user_profiles_file). -#}
{% macro default__drop_user_profiles_read_errors() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__drop_user_profiles_read_errors() %}
    {% if not user_profiles_path() %}
        {{ return('') }}
    {% endif %}
    {{ return("drop table if exists temp.main.user_profiles_read_errors; "
        ~ "drop table if exists temp.main.user_profiles_read_scans") }}
{% endmacro %}


{# The message for the lines of the input CSV that DuckDB could not read (set aside by the last
   read in this connection, see duckdb__read_user_profiles_file), or '' when there are none.
   An encoding error names var user_profiles_encoding and the accepted encodings. #}
{% macro user_profiles_read_problem() %}
    {{ return(adapter.dispatch('user_profiles_read_problem', 'segmentation')()) }}
{% endmacro %}

{% macro default__user_profiles_read_problem() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__user_profiles_read_problem() %}
    {% set exists = run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = 'user_profiles_read_errors'"
    ).columns[0].values()[0] %}
    {% if exists == 0 %}
        {{ return('') }}
    {% endif %}
    {% set errors = run_query(
        "select line, error_type, column_name, error_message, count(*) over () as lines,"
        ~ " count(*) filter (where error_type like 'INVALID %') over () as encoding_lines"
        ~ " from temp.main.user_profiles_read_errors order by line limit 1"
    ) %}
    {% if errors.rows | length == 0 %}
        {{ return('') }}
    {% endif %}
    {% set first = errors.rows[0] %}
    {% set line, error_type, column, error_message, lines, encoding_lines = first[0], first[1], first[2], first[3], first[4], first[5] %}
    {% set encoding = var('user_profiles_encoding') %}
    {% set in_all = (" (" ~ lines ~ " lines in all)" if lines > 1 else "") %}
    {% if encoding_lines > 0 and error_type.startswith('INVALID') %}
        {{ return(
            "line " ~ line ~ " is not valid " ~ encoding ~ " text"
            ~ (" (column '" ~ column ~ "')" if column else "") ~ in_all
            ~ ", and var user_profiles_encoding is '" ~ encoding ~ "' (exports saved by Excel on"
            ~ " Windows are often latin-1)." ~ encoding_advice('latin-1' if encoding != 'latin-1' else 'utf-8')
            ~ " Nothing was built from the file."
        ) }}
    {% endif %}
    {{ return(
        "line " ~ line ~ " could not be read as CSV (" ~ error_type | lower ~ ": "
        ~ error_message.split('\n')[0] ~ ")" ~ in_all ~ ". Fix the file; nothing was built from it."
    ) }}
{% endmacro %}


{# post-hook of base_platform__user_profile_rows: stop the build, with one message, when the read
   set any line of the input aside (no row is dropped silently). #}
{% macro check_user_profiles_read() %}
    {% if not execute or not user_profiles_path() or (user_profiles_path() | lower).endswith('.parquet') %}
        {{ return('') }}
    {% endif %}
    {% set problem = user_profiles_read_problem() %}
    {% if problem %}
        {{ exceptions.raise_compiler_error(user_profiles_file_label() ~ ": " ~ problem) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
