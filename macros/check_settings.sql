{# on-run-start: refuse settings that are not what they should be, naming the var to change.
   Every var that reaches SQL or the filesystem is checked here (by its rule in var
   settings_rules, or below for the input file) or quoted where it is used. #}
{% macro check_settings() %}
    {% set problems = [] %}

    {#- Ranges, choices and known names: var settings_rules (macros/settings.sql). -#}
    {% for area in ['input', 'clustering', 'profiles'] %}
        {% do problems.extend(settings_problems(area)) %}
    {% endfor %}
    {% set numeric, categorical = var('numeric_features'), var('categorical_features') %}
    {% if numeric is iterable and categorical is iterable and (numeric | length) + (categorical | length) == 0 %}
        {% do problems.append("numeric_features and categorical_features are both empty: nothing to cluster on") %}
    {% endif %}

    {% do problems.extend(input_file_setting_problems(
        'user_profiles_path', 'SEGMENTATION_USER_PROFILES_PATH', user_profiles_path(),
        user_profiles_path_setting(), 'user_profiles_source_table', 'the input',
        combine='a build reads one export. Combine the files into one (one header line) first'
    )) %}

    {% set encodings = accepted_encodings() %}
    {% if var('user_profiles_encoding') not in encodings %}
        {% do problems.append("user_profiles_encoding: unknown '" ~ var('user_profiles_encoding') ~ "' (known: " ~ encodings | join(', ') ~ ")") %}
    {% endif %}

    {#- Not a var, but staging depends on it: rows are numbered by the order DuckDB stores
        them in (input_row_number). -#}
    {% if execute and target.type == 'duckdb' %}
        {% set keeps_order = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] %}
        {% if not keeps_order %}
            {% do problems.append(
                "DuckDB setting preserve_insertion_order is off (profiles.yml, settings): staging "
                ~ "numbers the input rows by the order it stores them in; set it to true"
            ) %}
        {% endif %}
    {% endif %}

    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid settings (dbt vars, DuckDB settings):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
