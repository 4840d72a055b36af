{# The export's columns: the staging name of each, and every header spelling we accept for it.
   A header is matched after normalising it: lower case, surrounding whitespace trimmed,
   underscores and runs of spaces turned into one space, a UTF-8 byte-order mark dropped. #}
{% macro export_columns() %}
    {{ return({
        'user_id': ['user id', 'userid', 'user'],
        'age_band': ['age', 'age band', 'age group'],
        'gender': ['gender', 'sex'],
        'location': ['location', 'location type'],
        'language': ['language'],
        'education_level': ['education level', 'education'],
        'likes_and_reactions': ['likes and reactions', 'likes', 'likes & reactions'],
        'followed_accounts': ['followed accounts', 'following'],
        'device_usage': ['device usage', 'device'],
        'weekday_hours_online': ['time spent online (hrs/weekday)', 'weekday hours online', 'hours online weekday'],
        'weekend_hours_online': ['time spent online (hrs/weekend)', 'weekend hours online', 'hours online weekend'],
        'click_through_rate': ['click-through rates (ctr)', 'click through rate', 'click-through rate', 'ctr'],
        'conversion_rate': ['conversion rates', 'conversion rate'],
        'ad_interaction_seconds': ['ad interaction time (sec)', 'ad interaction seconds', 'ad interaction time'],
        'income_band': ['income level', 'income band', 'income'],
        'top_interests': ['top interests', 'interests'],
    }) }}
{% endmacro %}


{% macro normalize_header(name) %}
    {%- set cleaned = name | replace('\ufeff', '') | lower | replace('_', ' ') -%}
    {{ return(modules.re.sub('\\s+', ' ', cleaned).strip()) }}
{% endmacro %}


{# The header spelling of the platform's export, for messages. #}
{% macro export_header(staging_name) %}
    {{ return({
        'user_id': 'User ID', 'age_band': 'Age', 'gender': 'Gender', 'location': 'Location',
        'language': 'Language', 'education_level': 'Education Level',
        'likes_and_reactions': 'Likes and Reactions', 'followed_accounts': 'Followed Accounts',
        'device_usage': 'Device Usage', 'weekday_hours_online': 'Time Spent Online (hrs/weekday)',
        'weekend_hours_online': 'Time Spent Online (hrs/weekend)',
        'click_through_rate': 'Click-Through Rates (CTR)', 'conversion_rate': 'Conversion Rates',
        'ad_interaction_seconds': 'Ad Interaction Time (sec)', 'income_band': 'Income Level',
        'top_interests': 'Top Interests',
    }[staging_name]) }}
{% endmacro %}
