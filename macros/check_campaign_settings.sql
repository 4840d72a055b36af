{# on-run-start: refuse campaign and publishing settings that are not what they should be,
   naming the var to change, before any model runs. #}
{% macro check_campaign_settings() %}
    {% set settings = campaign_settings() %}
    {% set problems = [] %}

    {% for name in ['min_segment_size', 'published_versions_to_keep', 'histogram_bins'] %}
        {% set value = settings[name] %}
        {% if not (value is integer and value >= 1) %}
            {% do problems.append(name ~ " must be a whole number >= 1, got '" ~ value ~ "'") %}
        {% endif %}
    {% endfor %}

    {% set value = settings['interest_min_users'] %}
    {% if not (value is integer and value >= 0) %}
        {% do problems.append("interest_min_users must be a whole number >= 0, got '" ~ value ~ "'") %}
    {% endif %}

    {% for name in ['audience_min_confidence', 'interest_min_share_of_segment'] %}
        {% set value = settings[name] %}
        {% if not (value is number and value >= 0 and value <= 1) %}
            {% do problems.append(name ~ " must be a number between 0 and 1, got '" ~ value ~ "'") %}
        {% endif %}
    {% endfor %}

    {% set value = settings['schedule_index_margin'] %}
    {% if not (value is number and value >= 0) %}
        {% do problems.append("schedule_index_margin must be a number >= 0 (index points), got '" ~ value ~ "'") %}
    {% endif %}

    {% for name in ['audiences_dir', 'published_dir'] %}
        {% set value = settings[name] %}
        {% if not (value is string and value | trim) %}
            {% do problems.append(name ~ " must be a folder path, got '" ~ value ~ "'") %}
        {% endif %}
    {% endfor %}
    {% if settings['audiences_dir'] == settings['published_dir'] %}
        {% do problems.append("audiences_dir and published_dir must be different folders, both are '" ~ settings['published_dir'] ~ "'") %}
    {% endif %}

    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid campaign settings (dbt vars):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
