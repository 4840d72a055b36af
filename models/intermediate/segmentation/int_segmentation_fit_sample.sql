{#- The users the model is fitted on: all of them up to var fit_sample_size, else a seeded sample. -#}

with

{# Read twice by seeded_sample (ids to choose, then the chosen rows): streamed each time, never
    stored whole. #}
inputs {{ as_not_materialized() }} (
    select * from {{ ref('int_user_cluster_inputs') }}
),

sampled as (
    {{ seeded_sample('inputs', var('fit_sample_size'), var('random_seed')) }}
)

select * from sampled
