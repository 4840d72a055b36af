{# on-run-start: stop before any model runs when the input file cannot be used, with one message
   naming the file and what to fix. The embedded seed is checked by its own tests instead. #}
{% macro check_user_profiles_file() %}
    {% set path = var('user_profiles_path', '') %}
    {% if not execute or not path or not flags.WHICH in ('build', 'run', 'test', 'seed', 'compile') %}
        {{ return('') }}
    {% endif %}
    {% set where = "Input file " ~ path ~ " (var user_profiles_path)" %}

    {% set found = run_query("select count(*) from glob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0] %}
    {% if found == 0 %}
        {{ exceptions.raise_compiler_error(where ~ ": no such file.") }}
    {% endif %}
    {% set size = run_query("select size from read_blob(" ~ sql_string_literal(path) ~ ")").columns[0].values()[0] %}
    {% if size == 0 %}
        {{ exceptions.raise_compiler_error(where ~ ": the file is empty (0 bytes): no header and no rows.") }}
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
        {{ log("Input file " ~ path ~ ": ignoring extra column(s) " ~ mapped.extra | join(', '), info=true) }}
    {% endif %}

    {#- One row is enough to know; counting them all would read the whole file once more. -#}
    {% set rows = run_query("select count(*) from (select 1 from " ~ user_profiles_input() ~ " limit 1)").columns[0].values()[0] %}
    {% if rows == 0 %}
        {{ exceptions.raise_compiler_error(where ~ ": no rows: the file has a header but no users.") }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
