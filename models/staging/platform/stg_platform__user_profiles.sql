with

profiles as (
    select * from {{ ref('base_platform__user_profiles') }}
    where {{ list_length('rejection_reasons') }} = 0
),

banded as (
    select
        user_id,
        age_band,
        gender,
        location,
        language,
        education_level,
        device_usage,
        income_band,
        top_interests,
        likes_and_reactions,
        followed_accounts,
        weekday_hours_online,
        weekend_hours_online,
        click_through_rate,
        conversion_rate,
        ad_interaction_seconds,
        {{ vocabulary_position('age_band') }} as age_band_rank,
        {{ parse_band('age_band', 'age', 1, 10) }},
        {{ vocabulary_position('income_band') }} as income_band_rank,
        {{ parse_band('income_band', 'income', 1000, 20000) }},
        interest_names,
        source_row_number
    from profiles
),

renamed as (
    select
        user_id,
        age_band,
        gender,
        location,
        language,
        education_level,
        device_usage,
        income_band,
        top_interests,
        likes_and_reactions,
        followed_accounts,
        weekday_hours_online,
        weekend_hours_online,
        click_through_rate,
        conversion_rate,
        ad_interaction_seconds,
        age_band_rank,
        age_lower_bound as age_lower_bound_years,
        age_upper_bound as age_upper_bound_years,
        age_midpoint as age_midpoint_years,
        income_band_rank,
        income_lower_bound as income_lower_bound_usd,
        income_upper_bound as income_upper_bound_usd,
        income_midpoint as income_midpoint_usd,
        interest_names,
        source_row_number
    from banded
)

select * from renamed
