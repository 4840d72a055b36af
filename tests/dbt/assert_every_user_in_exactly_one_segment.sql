{#- Every valid user is in exactly one segment: each row of stg_platform__user_profiles has
    exactly one row in fct_user_segments, and fct_user_segments has no other users (so the
    two counts are equal). Returns one row per offending user. One join of the two (a full
    outer join of the valid users with the segment rows counted per user), not one per
    direction: both hold millions of users. -#}

with

profiles as (
    select * from {{ ref('stg_platform__user_profiles') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

valid_users as (
    select
        user_id,
        true as is_valid_user
    from profiles
),

segments_per_user as (
    select
        user_id,
        count(*) as segments
    from user_segments
    group by 1
),

matched as (
    select
        coalesce(valid_users.user_id, segments_per_user.user_id) as user_id,
        coalesce(segments_per_user.segments, 0) as segments,
        coalesce(valid_users.is_valid_user, false) as is_valid_user
    from valid_users
    full outer join segments_per_user
        on valid_users.user_id = segments_per_user.user_id
),

problems as (
    select
        user_id,
        segments,
        case
            when not is_valid_user then 'segmented user who is not a valid user'
            when segments = 0 then 'valid user in no segment'
            else 'valid user in several segments'
        end as problem
    from matched
    where not is_valid_user or segments <> 1
)

select * from problems
