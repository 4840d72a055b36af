{#- Users per rule segment and interest, beside the segment's size and the interest's population
    count, with the interest's shares and lift. Counted from the interest lists of the profiles,
    one streamed row per user and segment. -#}

with

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

{# Read more than once: streamed each time, never stored again (ten million rows). #}
memberships {{ as_not_materialized() }} (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

member_interests {{ as_not_materialized() }} (
    select
        {{ unnest_list('rule_segment_positions') }} as rule_segment_position,
        interests
    from memberships
),

counted as (
    {{ count_interests_by_group('member_interests', 'rule_segment_position', 'memberships') }}
),

identified as (
    select
        definitions.rule_segment_id,
        counted.interest_name,
        counted.users,
        counted.segment_users,
        counted.population_interest_users,
        counted.population_users,
        counted.share_of_segment,
        counted.share_of_population,
        counted.lift
    from counted
    inner join definitions
        on counted.rule_segment_position = definitions.rule_segment_position
)

select * from identified
