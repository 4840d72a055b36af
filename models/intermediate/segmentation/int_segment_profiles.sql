{#- One row per segment: size, mean and median of every profile metric with its index against
    the whole population (100 = average), and the modal value of every trait with its share. -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

{# Read twice (the join and the population): streamed each time, never stored whole. #}
features {{ as_not_materialized() }} (
    select * from {{ ref('int_user_features') }}
),

{# Stored once, with only the columns profile_groups reads, for its three passes: at ten
    million users that is cheaper than three joins of two ten-million-row tables (streaming
    is for members too large to store, like the unnested rule-segment memberships). #}
assigned_features {{ as_materialized() }} (
    select
        assignments.segment_id,
        {%- for column in profile_metrics() %}
        features.{{ column }},
        {%- endfor %}
        {{ profile_member_keys('features.user_id') }}
    from features
    inner join assignments
        on features.source_row_number = assignments.source_row_number
),

{# The population is every valid user: all of them are assigned a segment
    (assert_every_user_in_exactly_one_segment), so the means are read without the join. #}
profiles as (
    {{ profile_groups('assigned_features', 'features', 'segment_id') }}
)

select * from profiles
