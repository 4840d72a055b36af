{#- One row per user and rule segment the user belongs to; a user can be in many or none. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

user_rule_segments as (
    select
        memberships.user_id,
        memberships.rule_segment_id,
        definitions.rule_segment_name,
    from memberships
    inner join definitions
        on memberships.rule_segment_id = definitions.rule_segment_id
)

select * from user_rule_segments
