{# Users per group and interest, beside the group's size and the interest's population count,
   with the interest's share in the group, in the population and its lift (share in the group
   ÷ share in the population). One definition for clusters and rule segments alike.
   `members` holds one row per group and member with the group column and the member's
   `interests` list; `population` one row per user with an `interests` list. No per-user interest
   table to join: the lists are unnested as they stream by, so a user in many groups
   (rule segments) costs a row per group and nothing more. #}
{% macro count_interests_by_group(members, group_column, population) %}
    with

    group_sizes as (
        select
            {{ group_column }},
            count(*) as segment_users
        from {{ members }}
        group by 1
    ),

    population_size as (
        select count(*) as population_users from {{ population }}
    ),

    interest_users as (
        select
            {{ group_column }},
            interest_name,
            count(*) as users
        from (
            select
                {{ group_column }},
                {{ unnest_list('interests') }} as interest_name
            from {{ members }}
        ) as member_interests
        group by 1, 2
    ),

    population_interest_users as (
        select
            interest_name,
            count(*) as population_interest_users
        from (
            select {{ unnest_list('interests') }} as interest_name
            from {{ population }}
        ) as population_interests
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
            as lift
    from interest_users
    inner join group_sizes
        on interest_users.{{ group_column }} = group_sizes.{{ group_column }}
    inner join population_interest_users
        on interest_users.interest_name = population_interest_users.interest_name
    cross join population_size
{%- endmacro %}
