{#- One row per rule segment of the definitions file, in file order, with the same profile as
    dim_segments (profile_groups; medians over a seeded sample above var median_sample_size
    users) and its top interests by lift. A segment no user matches is
    kept, with 0 users; the post-hook warns about it. Medians are cast to double: the median
    of a float column is a float, and the contract should not depend on staging's choice. -#}

{%- set metrics = profile_metrics() -%}
{%- set traits = profile_traits() -%}
{#- Checked on-run-start with the other settings (var settings_rules). -#}
{%- set top_interests = var('rule_segment_top_interests') %}

with

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

{# Read more than once: streamed each time, never stored again (ten million rows). The
    median sample's key is computed here, once per user, not once per membership; the trait
    combinations are counted by int_rule_segment_trait_codes_counted. #}
memberships {{ as_not_materialized() }} (
    select
        *,
        {{ seeded_share_hash('user_id') }} as median_sample_key
    from {{ ref('int_user_rule_segments_matched') }}
),

interests_counted as (
    select * from {{ ref('int_rule_segment_interests_counted') }}
),

{# One row per user and segment they belong to, streamed (never stored: at ten million users
    it is over a hundred million rows) into each aggregate of profile_groups. Only the columns
    the profile reads: every one is copied once per membership. #}
member_profiles {{ as_not_materialized() }} (
    select
        {{ unnest_list('rule_segment_positions') }} as rule_segment_position,
        median_sample_key
        {%- for column in metrics %},
        {{ column }}
        {%- endfor %}
    from memberships
),

segment_profiles as (
    {{ profile_groups(
        'member_profiles', 'memberships', 'rule_segment_position',
        trait_code_counts=ref('int_rule_segment_trait_codes_counted')
    ) }}
),

ranked_interests as (
    select
        rule_segment_id,
        interest_name,
        lift,
        row_number() over (
            partition by rule_segment_id
            order by lift desc, users desc, interest_name asc
        ) as interest_rank
    from interests_counted
    {#- Only interests more common in the segment than in the population describe it. #}
    where lift > 1
),

top_interests as (
    select
        rule_segment_id,
        {{ ordered_list('interest_name', 'interest_rank') }} as top_interests_by_lift,
        {{ ordered_list('lift', 'interest_rank') }} as top_interest_lifts
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
        cast(segment_profiles.median_{{ metric }} as {{ type_double() }}) as median_{{ metric }},
        segment_profiles.{{ metric }}_index,
        {%- endfor %}
        {%- for trait in traits %}
        segment_profiles.modal_{{ trait }}_share{{ ',' if not loop.last }}
        {%- endfor %}
    from definitions
    left join segment_profiles
        on definitions.rule_segment_position = segment_profiles.rule_segment_position
    left join top_interests
        on definitions.rule_segment_id = top_interests.rule_segment_id
)

select * from rule_segments
