{# What a segment profile describes: the numeric metrics (mean, median, index) and the
   categorical traits (modal value and its share). Used by every profile mart. #}
{% macro profile_metrics() %}
    {{ return([
        'weekday_hours_online', 'weekend_hours_online', 'weekly_hours_online',
        'weekend_share_of_hours_online', 'likes_and_reactions', 'followed_accounts',
        'likes_per_followed_account', 'click_through_rate', 'conversion_rate',
        'conversions_per_click', 'ad_interaction_seconds', 'interest_count',
        'age_midpoint_years', 'income_midpoint_usd',
    ]) }}
{% endmacro %}

{% macro profile_traits() %}
    {{ return([
        'age_band', 'gender', 'income_band', 'device_usage', 'location', 'education_level', 'language',
    ]) }}
{% endmacro %}
