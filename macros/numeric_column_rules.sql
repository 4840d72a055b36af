{# The export's numeric columns: the range a valid value lies in (null: unbounded) and whether
   it must be a whole number. A value outside is quarantined, not clipped. #}
{% macro numeric_column_rules() %}
    {{ return({
        'likes_and_reactions': {'min': 0, 'max': none, 'whole': true, 'type': 'bigint'},
        'followed_accounts': {'min': 0, 'max': none, 'whole': true, 'type': 'bigint'},
        'weekday_hours_online': {'min': 0, 'max': 24, 'whole': false, 'type': 'double'},
        'weekend_hours_online': {'min': 0, 'max': 24, 'whole': false, 'type': 'double'},
        'click_through_rate': {'min': 0, 'max': 1, 'whole': false, 'type': 'double'},
        'conversion_rate': {'min': 0, 'max': 1, 'whole': false, 'type': 'double'},
        'ad_interaction_seconds': {'min': 0, 'max': none, 'whole': false, 'type': 'double'},
    }) }}
{% endmacro %}
