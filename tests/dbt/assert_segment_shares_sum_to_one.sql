{#- The segments partition the population: their shares add up to 1 (to within 1e-9, for
    floating-point rounding). Returns a row when they do not. -#}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

total as (
    select
        count(*) as segments,
        coalesce(sum(share), 0) as total_share
    from segments
),

problems as (
    select * from total
    where abs(total_share - 1) > 1e-9
)

select * from problems
