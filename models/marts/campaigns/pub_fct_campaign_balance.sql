{#- fct_campaign_balance as published, whole: whole-campaign means, no segment's members. -#}

with

balance as (
    select * from {{ ref('fct_campaign_balance') }}
)

select * from balance
