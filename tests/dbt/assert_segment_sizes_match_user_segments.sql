{#- dim_segments.users is the number of rows of fct_user_segments in the segment, for every
    segment, so the sizes add up to the number of segmented users. Returns one row per
    segment whose size differs, and one for the totals when they differ. -#}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

counted_users as (
    select
        segment_id,
        count(*) as counted_users
    from user_segments
    group by 1
),

segment_sizes as (
    select
        coalesce(segments.segment_id, counted_users.segment_id) as segment_id,
        coalesce(segments.users, 0) as segment_users,
        coalesce(counted_users.counted_users, 0) as counted_users
    from segments
    full outer join counted_users
        on segments.segment_id = counted_users.segment_id
),

totals as (
    select
        cast(null as integer) as segment_id,
        (select coalesce(sum(users), 0) from segments) as segment_users,
        (select coalesce(sum(counted_users), 0) from counted_users) as counted_users
),

problems as (
    select * from segment_sizes
    where segment_users <> counted_users

    union all

    select * from totals
    where segment_users <> counted_users
)

select * from problems
