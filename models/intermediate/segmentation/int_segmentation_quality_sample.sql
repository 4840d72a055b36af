{#- The users quality is measured on (sweep over k, null reference, stability refits): all of
    them up to var quality_sample_size, else a seeded sample. -#}

with

inputs as (
    select * from {{ ref('int_user_cluster_inputs') }}
),

sampled as (
    {{ seeded_sample('inputs', var('quality_sample_size'), var('random_seed')) }}
)

select * from sampled
