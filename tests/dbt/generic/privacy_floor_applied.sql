{# Fails on every published row of a segment below the privacy floor that still shows its
   name or a column the floor withholds (privacy_floor_withheld_columns of `mart`). #}
{% test privacy_floor_applied(model, mart) %}

with

published as (
    select * from {{ model }}
),

exposed as (
    select * from published
    where
        is_below_privacy_floor
        and (
            segment_name <> 'Segment ' || cast(segment_id as {{ dbt.type_string() }})
            {%- for column in privacy_floor_withheld_columns(mart) %}
            or {{ column }} is not null
            {%- endfor %}
        )
)

select * from exposed

{% endtest %}
