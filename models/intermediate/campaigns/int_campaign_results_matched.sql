{#- Every valid results row (stg_campaigns__results) beside the arm and segment its user had in
    the campaign (fct_campaign_holdouts), or the reason it cannot be measured:
    `unknown_campaign` (its campaign_key is not in var campaigns) or `not_in_audience` (a known
    campaign, but the user is not in its audience: no holdout row for the pair). The lift reads
    the rows without a reason; fct_campaign_results_rejected lists the others, so that every
    input row is accounted for exactly once. -#}

{%- set settings = campaign_settings() -%}

with

results as (
    select * from {{ ref('stg_campaigns__results') }}
),

holdouts as (
    select * from {{ ref('fct_campaign_holdouts') }}
),

matched as (
    select
        results.source_row_number,
        results.campaign_key,
        results.user_id,
        holdouts.segment_id,
        holdouts.segment_name,
        holdouts.arm,
        case
            {#- The keys are checked campaign keys, safe as literals. #}
            {%- if settings['campaigns'] %}
            when results.campaign_key not in (
                {%- for campaign_key in settings['campaigns'] -%}
                '{{ campaign_key }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
            ) then 'unknown_campaign'
            {%- else %}
            when true then 'unknown_campaign'
            {%- endif %}
            when holdouts.user_id is null then 'not_in_audience'
        end as rejection_reason,
        results.is_exposed,
        results.is_clicked,
        results.is_converted,
        results.revenue
    from results
    left join holdouts
        on
            results.campaign_key = holdouts.campaign_key
            and results.user_id = holdouts.user_id
)

select * from matched
