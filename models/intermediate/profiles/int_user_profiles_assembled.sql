{{ config(materialized='view') }}

{#- One row per valid user: the profile that rule segments are defined on. The typed attributes
    and engineered features of int_user_features, the interests as a list, each behaviour
    metric's percentile rank (joined from the small lookup int_user_metric_percentiles) and the
    behavioural flags (thresholds: var profile_flag_thresholds). A view: its one reader,
    int_user_rule_segments_matched, stores it, so the 10M-row profile is written once. -#}

{%- set ranked_metrics = percentile_ranked_metrics() -%}

with

features as (
    select * from {{ ref('int_user_features') }}
),

percentiles as (
    select * from {{ ref('int_user_metric_percentiles') }}
),

profiles as (
    select
        features.user_id,
        features.source_row_number,
        features.age_band,
        features.gender,
        features.location,
        features.language,
        features.education_level,
        features.device_usage,
        features.income_band,
        features.interest_names as interests,
        {%- for metric in catalogue_metrics() %}
        features.{{ metric }},
        {%- endfor %}
        features.age_lower_bound_years,
        features.age_upper_bound_years,
        features.income_lower_bound_usd,
        features.income_upper_bound_usd,
        {%- for metric in ranked_metrics %}
        {{ metric }}_ranks.percentile as {{ metric }}_percentile{{ ',' if not loop.last }}
        {%- endfor %}
    from features
    {%- for metric in ranked_metrics %}
    left join percentiles as {{ metric }}_ranks
        on {{ metric }}_ranks.metric_name = '{{ metric }}'
        and features.{{ metric }} = {{ metric }}_ranks.metric_value
    {%- endfor %}
),

flagged as (
    select
        *,
        {%- for flag in user_profile_flags() %}
        coalesce({{ flag.condition }}, false) as {{ flag.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from profiles
)

select * from flagged
