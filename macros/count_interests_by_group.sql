{# Users per group and interest, beside the group's size and the interest's population count,
   with the interest's share in the group, in the population and its lift (share in the group
   ÷ share in the population). One definition for clusters and rule segments alike.
   memberships: relation of (user_id, <group_column>); interests: the user-interest bridge;
   population: relation with one row per user of the population. #}
{% macro count_interests_by_group(memberships, group_column, interests, population) %}
    with

    group_sizes as (
        select
            {{ group_column }},
            count(*) as segment_users,
        from {{ memberships }}
        group by 1
    ),

    population_size as (
        select count(*) as population_users from {{ population }}
    ),

    interest_users as (
        select
            {{ memberships }}.{{ group_column }},
            {{ interests }}.interest_name,
            count(*) as users,
        from {{ memberships }}
        inner join {{ interests }}
            on {{ memberships }}.user_id = {{ interests }}.user_id
        group by 1, 2
    ),

    population_interest_users as (
        select
            interest_name,
            count(*) as population_interest_users,
        from {{ interests }}
        group by 1
    )

    select
        interest_users.{{ group_column }},
        interest_users.interest_name,
        interest_users.users,
        group_sizes.segment_users,
        population_interest_users.population_interest_users,
        population_size.population_users,
        interest_users.users / group_sizes.segment_users as share_of_segment,
        population_interest_users.population_interest_users / population_size.population_users
            as share_of_population,
        {{ safe_divide('interest_users.users / group_sizes.segment_users',
            'population_interest_users.population_interest_users / population_size.population_users') }}
            as lift,
    from interest_users
    inner join group_sizes
        on interest_users.{{ group_column }} = group_sizes.{{ group_column }}
    inner join population_interest_users
        on interest_users.interest_name = population_interest_users.interest_name
    cross join population_size
{%- endmacro %}
