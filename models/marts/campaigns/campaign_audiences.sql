{#- The users a campaign can activate: every user of a segment at or above the privacy floor
    (var min_segment_size) whose assignment is at least as clear as var audience_min_confidence.
    A small segment is left out whole: its name may spell out its demographics. -#}

{%- set settings = campaign_settings() -%}

with

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

segment_sizes as (
    select
        segment_id,
        count(*) as segment_users,
    from user_segments
    group by 1
),

audiences as (
    select
        user_segments.user_id,
        cast(user_segments.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        user_segments.segment_name,
        user_segments.assignment_confidence,
    from user_segments
    inner join segment_sizes
        on user_segments.segment_id = segment_sizes.segment_id
    where
        segment_sizes.segment_users >= {{ settings['min_segment_size'] }}
        and user_segments.assignment_confidence >= {{ settings['audience_min_confidence'] }}
)

select * from audiences
