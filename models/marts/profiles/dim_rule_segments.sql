{#- One row per rule segment of the definitions file, in file order, with the same profile as
    dim_segments (profile_groups) and its top interests by lift. A segment no user matches is
    kept, with 0 users; the post-hook warns about it. Medians are cast to double: the median
    of a float column is a float, and the contract should not depend on staging's choice. -#}

{%- set metrics = profile_metrics() -%}
{%- set traits = profile_traits() -%}
{%- set top_interests = var('rule_segment_top_interests', 3) -%}
{%- if top_interests is not integer or top_interests < 0 -%}
    {{ exceptions.raise_compiler_error(
        "rule_segment_top_interests must be a whole number >= 0, got '" ~ top_interests ~ "'"
    ) }}
{%- endif %}

with

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

profiles as (
    select * from {{ ref('int_user_profiles_assembled') }}
),

interests_counted as (
    select * from {{ ref('int_rule_segment_interests_counted') }}
),

member_profiles as (
    select
        memberships.rule_segment_id,
        profiles.*,
    from memberships
    inner join profiles
        on memberships.user_id = profiles.user_id
),

segment_profiles as (
    {{ profile_groups('member_profiles', 'profiles', 'rule_segment_id') }}
),

ranked_interests as (
    select
        rule_segment_id,
        interest_name,
        lift,
        row_number() over (
            partition by rule_segment_id
            order by lift desc, users desc, interest_name asc
        ) as interest_rank,
    from interests_counted
    {#- Only interests more common in the segment than in the population describe it. #}
    where lift > 1
),

top_interests as (
    select
        rule_segment_id,
        {{ ordered_list('interest_name', 'interest_rank') }} as top_interests_by_lift,
        {{ ordered_list('lift', 'interest_rank') }} as top_interest_lifts,
    from ranked_interests
    where interest_rank <= {{ top_interests }}
    group by 1
),

rule_segments as (
    select
        definitions.rule_segment_id,
        definitions.rule_segment_name,
        definitions.description,
        definitions.condition_definition,
        definitions.condition_sql,
        {%- for trait in traits %}
        segment_profiles.modal_{{ trait }},
        {%- endfor %}
        {{ list_or_empty('top_interests.top_interests_by_lift') }} as top_interests_by_lift,
        {{ list_or_empty('top_interests.top_interest_lifts') }} as top_interest_lifts,
        definitions.rule_segment_position,
        coalesce(segment_profiles.users, 0) as users,
        coalesce(segment_profiles.share, 0) as share,
        {%- for metric in metrics %}
        segment_profiles.avg_{{ metric }},
        cast(segment_profiles.median_{{ metric }} as double) as median_{{ metric }},
        segment_profiles.{{ metric }}_index,
        {%- endfor %}
        {%- for trait in traits %}
        segment_profiles.modal_{{ trait }}_share,
        {%- endfor %}
    from definitions
    left join segment_profiles
        on definitions.rule_segment_id = segment_profiles.rule_segment_id
    left join top_interests
        on definitions.rule_segment_id = top_interests.rule_segment_id
)

select * from rule_segments
