{{ config(materialized='table') }}

{#- Bridge: one row per user and interest, from the parsed list of stg_platform__user_profiles
    (which already has no repeats or blanks). -#}

with

profiles as (
    select * from {{ ref('stg_platform__user_profiles') }}
),

exploded as (
    select
        user_id,
        interest_name,
    from profiles
    cross join {{ explode_list('interest_names', 'interest_name') }}
)

select * from exploded
