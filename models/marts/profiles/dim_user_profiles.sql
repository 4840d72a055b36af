{{ config(materialized='view') }}

{#- One row per valid user: what a CRM tool looks a user up in. Attributes, engineered features,
    percentile ranks and behavioural flags (int_user_profiles_assembled, read through
    int_user_rule_segments_matched, which adds the user's rule segments), and the clustering's
    segment (fct_user_segments). A view: int_user_rule_segments_matched already stores the
    profile, so a table would be a third 10M-row copy of it; a lookup by user_id reads one row
    of each table, a full scan costs one join. -#}

{#- Tests: the key user_id is tested unique and not null here; the other columns are tested
    where they are made, not again here (each test of this view joins two ten-million-row
    tables): every valid user has exactly one row of fct_user_segments
    (assert_every_user_in_exactly_one_segment), whose segment_id, segment_name and confidence
    are tested not null and against dim_segments there; interests and the rule-segment
    positions are tested not null in staging and int_user_rule_segments_matched, the
    categorical values against the vocabularies in staging; rule_segment_names is an empty
    list, never null, for a user in no rule segment. -#}

{#- Band bounds and midpoints are cast to double so that the contract holds whatever float
    type staging parses them as. -#}

{%- set ranked_metrics = percentile_ranked_metrics() -%}

with

profiles as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

{# Segment names in position order: positions run 1, 2, ... in file order, so a user's list
    of positions indexes it directly (no join, no regrouping of the memberships). #}
rule_segment_names as (
    select {{ ordered_list('rule_segment_name', 'rule_segment_position') }} as names_by_position
    from definitions
),

user_profiles as (
    select
        profiles.user_id,
        cast(user_segments.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        profiles.age_band,
        profiles.gender,
        profiles.location,
        profiles.language,
        profiles.education_level,
        profiles.device_usage,
        profiles.income_band,
        user_segments.segment_name,
        profiles.interests,
        {{ list_or_empty(
            list_elements_at('rule_segment_names.names_by_position', 'profiles.rule_segment_positions')
        ) }} as rule_segment_names,
        profiles.likes_and_reactions,
        profiles.followed_accounts,
        profiles.weekday_hours_online,
        profiles.weekend_hours_online,
        profiles.weekly_hours_online,
        profiles.weekend_share_of_hours_online,
        profiles.likes_per_followed_account,
        profiles.click_through_rate,
        profiles.conversion_rate,
        profiles.conversions_per_click,
        profiles.ad_interaction_seconds,
        profiles.interest_count,
        profiles.age_band_rank,
        cast(profiles.age_lower_bound_years as {{ type_double() }}) as age_lower_bound_years,
        cast(profiles.age_upper_bound_years as {{ type_double() }}) as age_upper_bound_years,
        cast(profiles.age_midpoint_years as {{ type_double() }}) as age_midpoint_years,
        profiles.income_band_rank,
        cast(profiles.income_lower_bound_usd as {{ type_double() }}) as income_lower_bound_usd,
        cast(profiles.income_upper_bound_usd as {{ type_double() }}) as income_upper_bound_usd,
        cast(profiles.income_midpoint_usd as {{ type_double() }}) as income_midpoint_usd,
        {%- for metric in ranked_metrics %}
        profiles.{{ metric }}_percentile,
        {%- endfor %}
        user_segments.assignment_confidence,
        {{ list_length('profiles.rule_segment_positions') }} as rule_segment_count
        {%- for flag in user_profile_flags() %},
        profiles.{{ flag.name }}
        {%- endfor %},
        {#- The semantic layer's time dimension (MetricFlow needs one per measure): the mart is
            a state as of this build, so the build's start is the one time its rows have. #}
        {{ build_started_at() }} as built_at
    from profiles
    left join user_segments
        on profiles.user_id = user_segments.user_id
    cross join rule_segment_names
)

select * from user_profiles
