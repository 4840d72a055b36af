{#- Lift: the interest's share within the segment over its share in the whole population
    (1 = as common as everywhere, 2 = twice as common). -#}

with

counted as (
    select * from {{ ref('int_segment_interests_counted') }}
),

personas as (
    select * from {{ ref('int_segment_personas') }}
),

fct_segment_interests as (
    select
        counted.segment_id,
        counted.interest_name,
        personas.segment_name,
        counted.users,
        counted.users / counted.segment_users as share_of_segment,
        counted.population_interest_users / counted.population_users as share_of_population,
        {{ safe_divide('counted.users / counted.segment_users',
            'counted.population_interest_users / counted.population_users') }} as lift,
        cast(row_number() over (
            partition by counted.segment_id
            order by counted.users / counted.segment_users desc, counted.interest_name
        ) as {{ dbt.type_bigint() }}) as interest_rank
    from counted
    inner join personas
        on counted.segment_id = personas.segment_id
)

select * from fct_segment_interests
