{{ config(materialized='view') }}

{#- The users a campaign can activate: every user of a segment at or above the privacy floor
    (var min_segment_size) whose assignment is at least as clear as var audience_min_confidence.
    A small segment (dim_segments.is_below_privacy_floor) is left out whole: its name may spell
    out its demographics.
    A view: a filter of fct_user_segments, read by the audience files and the reachable counts,
    cheaper to recompute than to store a copy of millions of users. -#}

{%- set settings = campaign_settings() -%}

with

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

audiences as (
    select
        user_segments.user_id,
        cast(user_segments.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        user_segments.segment_name,
        user_segments.assignment_confidence
    from user_segments
    inner join segments
        on user_segments.segment_id = segments.segment_id
    where
        not segments.is_below_privacy_floor
        and user_segments.assignment_confidence >= {{ settings['audience_min_confidence'] }}
)

select * from audiences
