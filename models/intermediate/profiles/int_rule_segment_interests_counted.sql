{#- Users per rule segment and interest, beside the segment's size and the interest's population
    count, with the interest's lift in the segment. -#}

with

memberships as (
    select * from {{ ref('int_user_rule_segments_matched') }}
),

interests as (
    select * from {{ ref('stg_platform__user_interests') }}
),

profiles as (
    select * from {{ ref('int_user_profiles_assembled') }}
),

segment_sizes as (
    select
        rule_segment_id,
        count(*) as segment_users,
    from memberships
    group by 1
),

population as (
    select count(*) as population_users from profiles
),

interest_users as (
    select
        memberships.rule_segment_id,
        interests.interest_name,
        count(*) as users,
    from memberships
    inner join interests
        on memberships.user_id = interests.user_id
    group by 1, 2
),

population_interest_users as (
    select
        interest_name,
        count(*) as population_interest_users,
    from interests
    group by 1
),

counted as (
    select
        interest_users.rule_segment_id,
        interest_users.interest_name,
        interest_users.users,
        segment_sizes.segment_users,
        population_interest_users.population_interest_users,
        population.population_users,
        interest_users.users / segment_sizes.segment_users as share_of_segment,
        population_interest_users.population_interest_users / population.population_users
            as share_of_population,
        {{ safe_divide('interest_users.users / segment_sizes.segment_users',
            'population_interest_users.population_interest_users / population.population_users') }}
            as lift,
    from interest_users
    inner join segment_sizes
        on interest_users.rule_segment_id = segment_sizes.rule_segment_id
    inner join population_interest_users
        on interest_users.interest_name = population_interest_users.interest_name
    cross join population
)

select * from counted
