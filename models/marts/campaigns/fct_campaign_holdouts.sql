{#- Every audience member's arm in every campaign of var campaigns: `control` (held back, for
    measurement) for a share var holdout_control_share of them, else `treatment` (activated).
    The arm comes from the MD5 of the (campaign, user) pair (macros holdout_share, holdout_arm),
    never from the segment or an engine's random function: the same user gets the same arm in
    a campaign on every run and every engine, and a different, independent one in each
    campaign. -#}

{%- set settings = campaign_settings() -%}

with

audiences as (
    select * from {{ ref('fct_campaign_audiences') }}
),

{# The campaign keys are checked (settings_rules type campaign_keys: lowercase letters, digits
   and _), so they are safe as literals. No campaign: no rows, with the columns' types. #}
campaigns as (
    {%- for campaign_key in settings['campaigns'] %}
    select cast('{{ campaign_key }}' as {{ dbt.type_string() }}) as campaign_key
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as campaign_key
    where 1 = 0
    {%- endfor %}
),

shares as (
    select
        campaigns.campaign_key,
        audiences.user_id,
        audiences.segment_id,
        audiences.segment_name,
        {{ holdout_share('campaigns.campaign_key', 'audiences.user_id') }} as holdout_share
    from campaigns
    cross join audiences
),

holdouts as (
    select
        campaign_key,
        user_id,
        segment_id,
        segment_name,
        holdout_share,
        {{ holdout_arm('holdout_share') }} as arm
    from shares
)

select * from holdouts
