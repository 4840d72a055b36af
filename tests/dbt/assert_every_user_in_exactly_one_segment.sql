{#- Every valid user is in exactly one segment: each row of stg_platform__user_profiles has
    exactly one row in fct_user_segments, and fct_user_segments has no other users (so the
    two counts are equal). Returns one row per offending user. -#}

with

profiles as (
    select * from {{ ref('stg_platform__user_profiles') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

segments_per_user as (
    select
        profiles.user_id,
        count(user_segments.user_id) as segments
    from profiles
    left join user_segments
        on profiles.user_id = user_segments.user_id
    group by 1
),

unknown_users as (
    select
        user_segments.user_id,
        count(*) as segments
    from user_segments
    left join profiles
        on user_segments.user_id = profiles.user_id
    where profiles.user_id is null
    group by 1
),

problems as (
    select
        user_id,
        segments,
        case when segments = 0 then 'valid user in no segment' else 'valid user in several segments' end
            as problem
    from segments_per_user
    where segments <> 1

    union all

    select
        user_id,
        segments,
        'segmented user who is not a valid user' as problem
    from unknown_users
)

select * from problems
