{{ config(materialized='view') }}

{#- One row per valid user: the profile that rule segments are defined on. The typed attributes,
    engineered features and percentile ranks of int_user_features, the interests as a list, and
    the behavioural flags (thresholds: var profile_flag_thresholds). A view: the ranks are
    computed once, in int_user_features, and the flags are cheap to evaluate on read, so the
    10M-row profile is not written twice. -#}

{%- set ranked_metrics = percentile_ranked_metrics() -%}

with

features as (
    select * from {{ ref('int_user_features') }}
),

profiles as (
    select
        user_id,
        age_band,
        gender,
        location,
        language,
        education_level,
        device_usage,
        income_band,
        interest_names as interests,
        likes_and_reactions,
        followed_accounts,
        weekday_hours_online,
        weekend_hours_online,
        weekly_hours_online,
        weekend_share_of_hours_online,
        likes_per_followed_account,
        click_through_rate,
        conversion_rate,
        conversions_per_click,
        ad_interaction_seconds,
        interest_count,
        age_band_rank,
        age_lower_bound_years,
        age_upper_bound_years,
        age_midpoint_years,
        income_band_rank,
        income_lower_bound_usd,
        income_upper_bound_usd,
        income_midpoint_usd,
        {%- for metric in ranked_metrics %}
        {{ metric }}_percentile,
        {%- endfor %}
    from features
),

flagged as (
    select
        *,
        {%- for flag in user_profile_flags() %}
        coalesce({{ flag.condition }}, false) as {{ flag.name }},
        {%- endfor %}
    from profiles
)

select * from flagged
