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

    {% set var_path = var('user_profiles_path') %}
    {% set env_path = env_var('SEGMENTATION_USER_PROFILES_PATH', '') %}
    {% set setting = user_profiles_path_setting() %}
    {% if var_path is not string %}
        {% do problems.append("user_profiles_path must be a file path, got '" ~ var_path ~ "'") %}
    {% elif env_path and var_path and env_path != var_path %}
        {% do problems.append(
            "environment variable SEGMENTATION_USER_PROFILES_PATH ('" ~ env_path ~ "') and var "
            ~ "user_profiles_path ('" ~ var_path ~ "') name different input files: set only one"
        ) %}
    {% else %}
        {% set path = user_profiles_path() %}
        {% if path and not ((path | lower).endswith('.csv') or (path | lower).endswith('.csv.gz') or (path | lower).endswith('.parquet')) %}
            {% do problems.append(setting ~ " must end in .csv, .csv.gz or .parquet, got '" ~ path ~ "'") %}
        {% endif %}
        {#- DuckDB would read every file a pattern matches as one input, silently. -#}
        {% set wildcards = ['*', '?', '['] | select('in', path) | list %}
        {% if wildcards %}
            {% do problems.append(
                setting ~ " must name one file, got a wildcard ('" ~ wildcards | join("', '") ~ "') in '"
                ~ path ~ "': a build reads one export. Combine the files into one (one header line) first"
            ) %}
        {% endif %}
    {% endif %}

    {% if var('user_profiles_source_table') and user_profiles_path() %}
        {% do problems.append(
            "var user_profiles_source_table ('" ~ var('user_profiles_source_table') ~ "') and "
            ~ setting ~ " ('" ~ user_profiles_path() ~ "') both name the input: set only one"
        ) %}
    {% endif %}

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
