{#- rpt_user_base_distributions as published, whole: it describes no segment's members. -#}

with

distributions as (
    select * from {{ ref('rpt_user_base_distributions') }}
)

select * from distributions
