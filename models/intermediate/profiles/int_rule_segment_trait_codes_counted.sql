{{ config(materialized='table') }}

{#- Members per rule segment and combination of traits (profile_trait_code), what
    dim_rule_segments' modal traits are counted from. A model of its own, not a CTE of
    dim_rule_segments: at a hundred million users (about 1.2 billion memberships) this count
    and that model's means and medians, in one query, ran DuckDB out of its 1GB memory_limit;
    each alone fits (measured). At most a few hundred thousand rows. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

{# Only the two columns counted: one row per user and segment, streamed. #}
member_codes {{ as_not_materialized() }} (
    select
        {{ unnest_list('rule_segment_positions') }} as rule_segment_position,
        profile_trait_code
    from (
        select
            rule_segment_positions,
            {{ profile_trait_code() }} as profile_trait_code
        from memberships
    ) as coded
),

counted as (
    select
        rule_segment_position,
        profile_trait_code,
        count(*) as users
    from member_codes
    group by 1, 2
)

select * from counted
