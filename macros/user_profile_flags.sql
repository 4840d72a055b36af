{# The thresholds of the behavioural flags of a user profile: the defaults below, overridden key
   by key by var profile_flag_thresholds (so `--vars '{profile_flag_thresholds:
   {high_ctr_min_percentile: 0.9}}'` changes one). Shares and percentiles are 0 to 1. An unknown
   key or a value out of range stops the build naming the var. #}
{% macro profile_flag_thresholds() %}
    {% set thresholds = {
        'weekend_heavy_min_share': 0.5,
        'weekday_heavy_max_share': 0.3,
        'heavy_user_min_percentile': 0.75,
        'light_user_max_percentile': 0.25,
        'heavy_liker_min_percentile': 0.75,
        'high_ctr_min_percentile': 0.75,
        'low_ctr_max_percentile': 0.25,
        'high_converter_min_percentile': 0.75,
        'heavy_ad_viewer_min_percentile': 0.75,
        'multi_interest_min_count': 3,
    } %}
    {% set given = var('profile_flag_thresholds', {}) %}
    {% if given is not mapping %}
        {{ exceptions.raise_compiler_error(
            "profile_flag_thresholds must be a mapping of threshold name to number, got '" ~ given ~ "'"
        ) }}
    {% endif %}
    {% set problems = [] %}
    {% for key, value in given.items() %}
        {% if key not in thresholds %}
            {% do problems.append("unknown threshold '" ~ key ~ "' (known: " ~ thresholds.keys() | join(', ') ~ ")") %}
        {% elif value is boolean or value is not number %}
            {% do problems.append(key ~ " must be a number, got '" ~ value ~ "'") %}
        {% elif key.endswith('_count') and value < 0 %}
            {% do problems.append(key ~ " must be at least 0, got " ~ value) %}
        {% elif not key.endswith('_count') and (value < 0 or value > 1) %}
            {% do problems.append(key ~ " must be between 0 and 1, got " ~ value) %}
        {% endif %}
    {% endfor %}
    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid var profile_flag_thresholds:\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {% do thresholds.update(given) %}
    {{ return(thresholds) }}
{% endmacro %}


{# The behavioural flags of a user profile: name and SQL condition over the profile's features
   and percentile columns. A flag whose input is missing is false. #}
{% macro user_profile_flags() %}
    {% set threshold = profile_flag_thresholds() %}
    {{ return([
        {'name': 'is_weekend_heavy',
            'condition': 'weekend_share_of_hours_online > ' ~ threshold.weekend_heavy_min_share},
        {'name': 'is_weekday_heavy',
            'condition': 'weekend_share_of_hours_online < ' ~ threshold.weekday_heavy_max_share},
        {'name': 'is_heavy_user',
            'condition': 'weekly_hours_online_percentile >= ' ~ threshold.heavy_user_min_percentile},
        {'name': 'is_light_user',
            'condition': 'weekly_hours_online_percentile < ' ~ threshold.light_user_max_percentile},
        {'name': 'is_heavy_liker',
            'condition': 'likes_and_reactions_percentile >= ' ~ threshold.heavy_liker_min_percentile},
        {'name': 'is_high_ctr',
            'condition': 'click_through_rate_percentile >= ' ~ threshold.high_ctr_min_percentile},
        {'name': 'is_low_ctr',
            'condition': 'click_through_rate_percentile < ' ~ threshold.low_ctr_max_percentile},
        {'name': 'is_high_converter',
            'condition': 'conversion_rate_percentile >= ' ~ threshold.high_converter_min_percentile},
        {'name': 'is_heavy_ad_viewer',
            'condition': 'ad_interaction_seconds_percentile >= ' ~ threshold.heavy_ad_viewer_min_percentile},
        {'name': 'is_multi_interest',
            'condition': 'interest_count >= ' ~ threshold.multi_interest_min_count},
    ]) }}
{% endmacro %}
