{# The thresholds of the behavioural flags of a user profile: var profile_flag_thresholds over the
   defaults of its rule in var settings_rules, key by key (so `--vars '{profile_flag_thresholds:
   {high_ctr_min_percentile: 0.9}}'` changes one). Shares and percentiles are 0 to 1. An unknown
   key or a value out of range stops the build naming the var. #}
{% macro profile_flag_thresholds() %}
    {% set problems = setting_problems(
        'profile_flag_thresholds', var('profile_flag_thresholds'),
        var('settings_rules')['profile_flag_thresholds'],
    ) %}
    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid var profile_flag_thresholds:\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return(area_settings('profiles')['profile_flag_thresholds']) }}
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
