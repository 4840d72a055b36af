{# on-run-start: stop before any model runs when the campaign results cannot be used, with one
   message naming the file or table and what to fix, as check_user_profiles_file does for the
   export: the settings naming it, then the file or table itself and its required columns. The
   demo seed is checked by its own tests instead. campaign_results_source_table and _schema are
   checked with the other input vars (check_settings, var settings_rules). #}
{% macro check_campaign_results_file() %}
    {% set problems = input_file_setting_problems(
        'campaign_results_path', 'SEGMENTATION_CAMPAIGN_RESULTS_PATH', campaign_results_path(),
        campaign_results_path_setting(), 'campaign_results_source_table', 'the campaign results'
    ) %}
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
