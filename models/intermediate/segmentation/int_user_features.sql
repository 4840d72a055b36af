{#- One row per valid user: the typed profile plus the engineered behaviour features, and each
    behaviour metric's percentile rank within the population (for the user profiles of
    int_user_profiles_assembled, a view of this table: one table of 10M users, not two). -#}

{%- set ranked_metrics = percentile_ranked_metrics() -%}

with

{# Both are read once per ranked metric and once more for the result: DuckDB 2.0 would store a
    copy of each (10M rows); streamed, each rank reads only its own column (10M users: 35 s ->
    20 s). #}
profiles as not materialized (
    select * from {{ ref('stg_platform__user_profiles') }}
),

features as not materialized (
    select
        profiles.user_id,
        profiles.age_band,
        profiles.gender,
        profiles.location,
        profiles.language,
        profiles.education_level,
        profiles.device_usage,
        profiles.income_band,
        profiles.top_interests,
        profiles.likes_and_reactions,
        profiles.followed_accounts,
        profiles.weekday_hours_online,
        profiles.weekend_hours_online,
        5 * profiles.weekday_hours_online + 2 * profiles.weekend_hours_online as weekly_hours_online,
        {{ safe_divide('2 * profiles.weekend_hours_online',
            '5 * profiles.weekday_hours_online + 2 * profiles.weekend_hours_online') }}
            as weekend_share_of_hours_online,
        {{ safe_divide('profiles.likes_and_reactions', 'profiles.followed_accounts') }}
            as likes_per_followed_account,
        profiles.click_through_rate,
        profiles.conversion_rate,
        {{ safe_divide('profiles.conversion_rate', 'profiles.click_through_rate') }}
            as conversions_per_click,
        profiles.ad_interaction_seconds,
        len(profiles.interest_names) as interest_count,
        profiles.interest_names,
        profiles.age_band_rank,
        profiles.age_lower_bound_years,
        profiles.age_upper_bound_years,
        profiles.age_midpoint_years,
        profiles.income_band_rank,
        profiles.income_lower_bound_usd,
        profiles.income_upper_bound_usd,
        profiles.income_midpoint_usd,
        profiles.source_row_number,
    from profiles
),

{%- for metric in ranked_metrics %}

{{ metric }}_ranks as (
    {{ percentile_rank('features', metric) }}
),
{%- endfor %}

ranked as (
    select
        features.*,
        {%- for metric in ranked_metrics %}
        {{ metric }}_ranks.percentile as {{ metric }}_percentile,
        {%- endfor %}
    from features
    {%- for metric in ranked_metrics %}
    left join {{ metric }}_ranks
        on features.{{ metric }} = {{ metric }}_ranks.value
    {%- endfor %}
)

select * from ranked
