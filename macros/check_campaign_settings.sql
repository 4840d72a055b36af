{# on-run-start: refuse campaign and publishing settings that are not what they should be,
   naming the var to change, before any model runs (rules: var settings_rules). #}
{% macro check_campaign_settings() %}
    {% set settings = campaign_settings() %}
    {% set problems = settings_problems('campaigns') %}
    {% if settings['audiences_dir'] == settings['published_dir'] %}
        {% do problems.append("audiences_dir and published_dir must be different folders, both are '" ~ settings['published_dir'] ~ "'") %}
    {% endif %}

    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid campaign settings (dbt vars):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
