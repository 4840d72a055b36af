{{ config(materialized='view') }}

{#- What a campaign activates: the treatment arm of its audience (fct_campaign_holdouts), with
    the audience columns. The control arm is held back for measurement and never leaves the
    warehouse in an audience file: this view, not the publisher, decides who is activated.
    A view: a filter and a join, read once per publish. -#}

with

holdouts as (
    select * from {{ ref('fct_campaign_holdouts') }}
),

audiences as (
    select * from {{ ref('fct_campaign_audiences') }}
),

treated as (
    select
        holdouts.campaign_key,
        holdouts.user_id,
        holdouts.segment_id,
        holdouts.segment_name,
        audiences.assignment_confidence
    from holdouts
    inner join audiences
        on holdouts.user_id = audiences.user_id
    where holdouts.arm = 'treatment'
)

select * from treated
