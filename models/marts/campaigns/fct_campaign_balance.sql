{#- Whether each campaign's arms look alike before the campaign: per campaign and profiled
    catalogue metric, the mean in the treatment and the control arm and their standardised
    mean difference (SMD: the difference of the means over the pooled standard deviation,
    sqrt((s_t^2 + s_c^2) / 2)), flagged above 0.1 in absolute value, the usual threshold of a
    meaningful imbalance. A random arm leaves only chance imbalance, which shrinks with the
    arms' sizes: a flag on a large campaign points at the arm assignment, not at chance.
    Above var balance_sample_size audience members, over a sample of them (sampled_share). -#}

{%- set metrics = profile_metrics() -%}
{%- set settings = campaign_settings() -%}

with

holdouts as (
    select * from {{ ref('fct_campaign_holdouts') }}
),

audience_sizes as (
    select
        campaign_key,
        count(*) as audience_users
    from holdouts
    group by 1
),

sampled_shares as (
    select
        campaign_key,
        least(
            cast(1 as {{ type_double() }}),
            cast({{ settings['balance_sample_size'] }} as {{ type_double() }}) / audience_users
        ) as sampled_share
    from audience_sizes
),

{# The same share of each arm, by the member's place within its arm's range of holdout shares:
    the MD5 share is uniform, so a member's place within [0, control share) or [control share,
    1) is too, and independent of the member's features. Sampled the same on every run and
    engine; no second hash. Small campaigns keep every member (sampled_share 1). #}
sampled_holdouts as (
    select
        holdouts.campaign_key,
        holdouts.user_id,
        holdouts.arm,
        sampled_shares.sampled_share
    from holdouts
    inner join sampled_shares
        on holdouts.campaign_key = sampled_shares.campaign_key
    where
        sampled_shares.sampled_share >= 1
        or case
            when holdouts.arm = 'control'
                then holdouts.holdout_share / {{ settings['holdout_control_share'] }}
            else
                (holdouts.holdout_share - {{ settings['holdout_control_share'] }})
                / (1 - {{ settings['holdout_control_share'] }})
        end < sampled_shares.sampled_share
),

features as (
    select * from {{ ref('int_user_features') }}
),

{# One scan of the arms for every metric at once; the long form is made from the few rows
   this returns. #}
arm_moments as (
    select
        holdouts.campaign_key,
        holdouts.arm,
        max(holdouts.sampled_share) as sampled_share,
        {%- for metric in metrics %}
        count(features.{{ metric }}) as {{ metric }}__users,
        avg(features.{{ metric }}) as {{ metric }}__mean,
        var_samp(features.{{ metric }}) as {{ metric }}__variance{{ ',' if not loop.last }}
        {%- endfor %}
    from sampled_holdouts as holdouts
    inner join features
        on holdouts.user_id = features.user_id
    group by 1, 2
),

campaign_metrics as (
    {%- for metric in metrics %}
    select
        campaigns.campaign_key,
        '{{ metric }}' as metric_name,
        {{ loop.index }} as metric_position,
        coalesce(treatment.{{ metric }}__users, 0) as treatment_users,
        coalesce(control.{{ metric }}__users, 0) as control_users,
        coalesce(treatment.sampled_share, control.sampled_share) as sampled_share,
        cast(treatment.{{ metric }}__mean as {{ type_double() }}) as treatment_mean,
        cast(control.{{ metric }}__mean as {{ type_double() }}) as control_mean,
        cast(treatment.{{ metric }}__variance as {{ type_double() }}) as treatment_variance,
        cast(control.{{ metric }}__variance as {{ type_double() }}) as control_variance
    from (select distinct campaign_key from arm_moments) as campaigns
    left join arm_moments as treatment
        on campaigns.campaign_key = treatment.campaign_key and treatment.arm = 'treatment'
    left join arm_moments as control
        on campaigns.campaign_key = control.campaign_key and control.arm = 'control'
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

balance as (
    select
        campaign_key,
        metric_name,
        metric_position,
        treatment_users,
        control_users,
        sampled_share,
        treatment_mean,
        control_mean,
        {#- Null when neither arm varies (or an arm has fewer than 2 values): no scale to
            judge a difference on. #}
        {{ safe_divide('treatment_mean - control_mean', 'sqrt((treatment_variance + control_variance) / 2)') }}
            as standardized_mean_difference
    from campaign_metrics
),

flagged as (
    select
        *,
        coalesce(abs(standardized_mean_difference) > 0.1, false) as is_imbalanced
    from balance
)

select * from flagged
