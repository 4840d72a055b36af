{{ config(materialized='table') }}

{#- One row per user: the profile and the positions of the rule segments the user meets. The
    compiled conditions of int_rule_segments_defined run in one scan of the profile, in the
    engine (ten million profiles never leave it). One list per user rather than a row per
    (user, segment): at ten million users the pairs are over a hundred million rows, and the
    marts stream them by unnesting the lists. -#}

with

profiles as (
    select * from {{ ref('int_user_profiles_assembled') }}
),

matched as (
    select
        profiles.*,
        {{ rule_segment_positions(ref('int_rule_segments_defined')) }} as rule_segment_positions
    from profiles
)

select * from matched
