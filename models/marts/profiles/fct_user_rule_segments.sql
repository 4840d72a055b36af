{{ config(materialized='view') }}

{#- One row per user and rule segment the user belongs to; a user can be in many or none. A view
    over the per-user lists of int_user_rule_segments_matched: at ten million users the pairs
    are over a hundred million rows, which a BI tool filters far more often than it reads whole.
    dim_user_profiles.rule_segment_names holds the same memberships as a list per user. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

user_positions as (
    select
        user_id,
        {{ unnest_list('rule_segment_positions') }} as rule_segment_position
    from memberships
),

user_rule_segments as (
    select
        user_positions.user_id,
        definitions.rule_segment_id,
        definitions.rule_segment_name
    from user_positions
    inner join definitions
        on user_positions.rule_segment_position = definitions.rule_segment_position
)

select * from user_rule_segments
