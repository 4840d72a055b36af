{{ config(materialized='table') }}

{#- Users per cluster segment and combination of rule segments, what fct_segment_overlaps counts
    every overlap from. A model of its own, not a CTE of fct_segment_overlaps: at a hundred
    million users (~66 million combinations) storing it inside that model's query, beside the
    aggregates that read it, ran DuckDB out of its 1GB memory_limit. Joined on the input row
    number (see source_row_number); fct_user_segments adds only names and confidences. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

user_segments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

counted as (
    select
        user_segments.segment_id,
        memberships.rule_segment_positions,
        count(*) as users
    from memberships
    inner join user_segments
        on memberships.source_row_number = user_segments.source_row_number
    group by 1, 2
)

select * from counted
