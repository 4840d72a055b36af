{{ config(materialized='table') }}

{#- Bridge: one row per user and interest. Names are trimmed and matched to the known list
    case-insensitively; an interest not on the list is kept as written (trimmed). -#}

with

profiles as (
    select * from {{ ref('stg_platform__user_profiles') }}
),

exploded as (
    select
        profiles.user_id,
        trim(interest_text) as interest_text,
    from profiles
    cross join {{ explode_list('profiles.top_interests', ',', 'interest_text') }}
),

normalized as (
    select distinct
        user_id,
        {{ canonical_interest('interest_text') }} as interest_name,
    from exploded
    where interest_text <> ''
)

select * from normalized
