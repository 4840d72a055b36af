{# on-run-start: stop before any model runs when the campaign results cannot be used, with one
   message naming the file or table and what to fix, as check_user_profiles_file does for the
   export: the settings naming it, then the file or table itself and its required columns. The
   demo seed is checked by its own tests instead. campaign_results_source_table and _schema are
   checked with the other input vars (check_settings, var settings_rules). #}
{% macro check_campaign_results_file() %}
    {% set problems = [] %}
    {% set var_path = var('campaign_results_path') %}
    {% set env_path = env_var('SEGMENTATION_CAMPAIGN_RESULTS_PATH', '') %}
    {% set setting = campaign_results_path_setting() %}
    {% if var_path is not string %}
        {% do problems.append("campaign_results_path must be a file path, got '" ~ var_path ~ "'") %}
    {% elif env_path and var_path and env_path != var_path %}
        {% do problems.append(
            "environment variable SEGMENTATION_CAMPAIGN_RESULTS_PATH ('" ~ env_path ~ "') and var "
            ~ "campaign_results_path ('" ~ var_path ~ "') name different files: set only one"
        ) %}
    {% else %}
        {% set path = campaign_results_path() %}
        {% if path and not ((path | lower).endswith('.csv') or (path | lower).endswith('.csv.gz') or (path | lower).endswith('.parquet')) %}
            {% do problems.append(setting ~ " must end in .csv, .csv.gz or .parquet, got '" ~ path ~ "'") %}
        {% endif %}
        {% set wildcards = ['*', '?', '['] | select('in', path) | list %}
        {% if wildcards %}
            {% do problems.append(setting ~ " must name one file, got a wildcard ('"
                ~ wildcards | join("', '") ~ "') in '" ~ path ~ "'") %}
        {% endif %}
        {% if path and var('campaign_results_source_table') %}
            {% do problems.append(
                "var campaign_results_source_table ('" ~ var('campaign_results_source_table') ~ "') and "
                ~ setting ~ " ('" ~ path ~ "') both name the campaign results: set only one"
            ) %}
        {% endif %}
    {% endif %}
    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid settings (dbt vars):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}

    {% set path = campaign_results_path() %}
    {% set table = var('campaign_results_source_table') %}
    {% if not execute or not (path or table) or not flags.WHICH in ('build', 'run', 'test', 'seed', 'compile') %}
        {{ return('') }}
    {% endif %}
    {% set where = campaign_results_input_label() %}
    {% if table %}
        {% if load_relation(source('campaigns', 'results')) is none %}
            {{ exceptions.raise_compiler_error(where ~ ": no such table.") }}
        {% endif %}
    {% else %}
        {#- user_profiles_file_size works for any one file: it only lists it. -#}
        {% set size = user_profiles_file_size(path) %}
        {% if size is none %}
            {{ exceptions.raise_compiler_error(where ~ ": no such file.") }}
        {% elif size == 0 %}
            {{ exceptions.raise_compiler_error(where ~ ": the file is empty (0 bytes): no header and no rows.") }}
        {% endif %}
    {% endif %}

    {% set mapped = map_campaign_results_columns() %}
    {% if mapped.missing %}
        {{ exceptions.raise_compiler_error(
            where ~ ": missing required column(s) '" ~ mapped.missing | join("', '")
            ~ "'. Found: " ~ mapped.headers | join(', ')
            ~ ". A results file has the columns user_id, campaign_key, exposed, clicked, converted"
            ~ " and, optionally, revenue (README, Measuring a campaign)."
        ) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
