{#- Users per segment and interest, beside the segment's size and the interest's population count. -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

interests as (
    select * from {{ ref('stg_platform__user_interests') }}
),

segment_sizes as (
    select
        segment_id,
        count(*) as segment_users,
    from assignments
    group by 1
),

population as (
    select count(*) as population_users from assignments
),

interest_users as (
    select
        assignments.segment_id,
        interests.interest_name,
        count(*) as users,
    from interests
    inner join assignments
        on interests.user_id = assignments.user_id
    group by 1, 2
),

population_interest_users as (
    select
        interest_name,
        sum(users) as population_interest_users,
    from interest_users
    group by 1
),

counted as (
    select
        interest_users.segment_id,
        interest_users.interest_name,
        interest_users.users,
        segment_sizes.segment_users,
        population_interest_users.population_interest_users,
        population.population_users,
    from interest_users
    inner join segment_sizes
        on interest_users.segment_id = segment_sizes.segment_id
    inner join population_interest_users
        on interest_users.interest_name = population_interest_users.interest_name
    cross join population
)

select * from counted
