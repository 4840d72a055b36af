{#- The users quality is measured on (sweep over k, null reference, stability refits): all of
    them up to var quality_sample_size, else a seeded sample. The sample is the first
    quality_sample_size users in the order seeded_sample chooses by, so when it is no larger
    than the fit sample it is taken from the fit sample (the same users, without another pass
    over every user). -#}

{%- set within_fit_sample = var('quality_sample_size') | int <= var('fit_sample_size') | int -%}

with

inputs {{ as_not_materialized() }} (
    {%- if within_fit_sample %}
    select * from {{ ref('int_segmentation_fit_sample') }}
    {%- else %}
    select * from {{ ref('int_user_cluster_inputs') }}
    {%- endif %}
),

sampled as (
    {{ seeded_sample('inputs', var('quality_sample_size'), var('random_seed')) }}
)

select * from sampled
