{#- One row per valid user: what a CRM tool looks a user up in. Attributes, engineered features,
    percentile ranks and behavioural flags (int_user_profiles_assembled), the clustering's
    segment (fct_user_segments) and the rule segments the user belongs to. -#}

{#- Band bounds and midpoints are cast to double so that the contract holds whatever float
    type staging parses them as. -#}

{%- set ranked_metrics = percentile_ranked_metrics() -%}

with

profiles as (
    select * from {{ ref('int_user_profiles_assembled') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

definitions as (
    select * from {{ ref('int_rule_segments_defined') }}
),

rule_segment_lists as (
    select
        memberships.user_id,
        {{ ordered_list('definitions.rule_segment_name', 'definitions.rule_segment_position') }}
            as rule_segment_names,
        count(*) as rule_segment_count,
    from memberships
    inner join definitions
        on memberships.rule_segment_id = definitions.rule_segment_id
    group by 1
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
        {{ list_or_empty('rule_segment_lists.rule_segment_names') }} as rule_segment_names,
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
        cast(profiles.age_lower_bound_years as double) as age_lower_bound_years,
        cast(profiles.age_upper_bound_years as double) as age_upper_bound_years,
        cast(profiles.age_midpoint_years as double) as age_midpoint_years,
        profiles.income_band_rank,
        cast(profiles.income_lower_bound_usd as double) as income_lower_bound_usd,
        cast(profiles.income_upper_bound_usd as double) as income_upper_bound_usd,
        cast(profiles.income_midpoint_usd as double) as income_midpoint_usd,
        {%- for metric in ranked_metrics %}
        profiles.{{ metric }}_percentile,
        {%- endfor %}
        user_segments.assignment_confidence,
        coalesce(rule_segment_lists.rule_segment_count, 0) as rule_segment_count,
        {%- for flag in user_profile_flags() %}
        profiles.{{ flag.name }},
        {%- endfor %}
    from profiles
    left join user_segments
        on profiles.user_id = user_segments.user_id
    left join rule_segment_lists
        on profiles.user_id = rule_segment_lists.user_id
)

select * from user_profiles
