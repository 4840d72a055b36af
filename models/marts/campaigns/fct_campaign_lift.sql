{#- Did the campaign change conversion, segment by segment? Per campaign and segment of its
    audience: the users of each arm with a results row, their click and conversion rates, and
    the difference of the two conversion proportions (treatment - control, the intent-to-treat
    effect: the treatment arm counts whether or not it was exposed). The statistics are the
    textbook ones for two independent proportions (README "Measuring a campaign"):
    - a Wald 95% interval, lift +- z(0.975) x the unpooled standard error
      sqrt(p_t (1 - p_t) / n_t + p_c (1 - p_c) / n_c);
    - a two-sided z-test of "no difference" with the pooled rate p = (x_t + x_c) / (n_t + n_c):
      z = lift / sqrt(p (1 - p) (1 / n_t + 1 / n_c)), p-value 2 (1 - Phi(|z|)), Phi from macro
      normal_cdf (plain arithmetic, the same on every engine);
    - the minimum detectable effect at 80% power and a two-sided 5% test, at these sizes and
      the pooled rate: (z(0.975) + z(0.8)) x the pooled standard error.
    Then a plain verdict (var lift_min_users_per_arm, var lift_meaningful_effect). -#}

{%- set settings = campaign_settings() -%}
{#- Standard normal quantiles: NormalDist().inv_cdf(0.975) and .inv_cdf(0.8) in Python. -#}
{%- set z_975 = 1.959963984540054 -%}
{%- set z_80 = 0.8416212335729143 -%}

with

results as (
    select * from {{ ref('int_campaign_results_matched') }}
    where rejection_reason is null
),

holdouts as (
    select * from {{ ref('fct_campaign_holdouts') }}
),

{# Every (campaign, segment) of the audiences has a row, with or without results. #}
campaign_segments as (
    select
        campaign_key,
        segment_id,
        max(segment_name) as segment_name
    from holdouts
    group by 1, 2
),

{# Revenue per user only where the results carry revenue at all (a file without the column,
   or with every value blank, has none): 0 would claim the campaign earned nothing. #}
campaign_revenue as (
    select
        campaign_key,
        count(revenue) > 0 as has_revenue
    from results
    group by 1
),

arm_totals as (
    select
        campaign_key,
        segment_id,
        arm,
        count(*) as users,
        sum(case when is_clicked then 1 else 0 end) as clicks,
        sum(case when is_converted then 1 else 0 end) as conversions,
        sum(coalesce(revenue, 0)) as revenue
    from results
    group by 1, 2, 3
),

arms as (
    select
        campaign_segments.campaign_key,
        campaign_segments.segment_id,
        campaign_segments.segment_name,
        cast(coalesce(treatment.users, 0) as {{ dbt.type_bigint() }}) as treatment_users,
        cast(coalesce(control.users, 0) as {{ dbt.type_bigint() }}) as control_users,
        cast(coalesce(treatment.clicks, 0) as {{ type_double() }}) as treatment_clicks,
        cast(coalesce(control.clicks, 0) as {{ type_double() }}) as control_clicks,
        cast(coalesce(treatment.conversions, 0) as {{ type_double() }}) as treatment_conversions,
        cast(coalesce(control.conversions, 0) as {{ type_double() }}) as control_conversions,
        case when campaign_revenue.has_revenue then cast(coalesce(treatment.revenue, 0) as {{ type_double() }}) end
            as treatment_revenue,
        case when campaign_revenue.has_revenue then cast(coalesce(control.revenue, 0) as {{ type_double() }}) end
            as control_revenue
    from campaign_segments
    left join arm_totals as treatment
        on
            campaign_segments.campaign_key = treatment.campaign_key
            and campaign_segments.segment_id = treatment.segment_id
            and treatment.arm = 'treatment'
    left join arm_totals as control
        on
            campaign_segments.campaign_key = control.campaign_key
            and campaign_segments.segment_id = control.segment_id
            and control.arm = 'control'
    left join campaign_revenue
        on campaign_segments.campaign_key = campaign_revenue.campaign_key
),

rates as (
    select
        *,
        {{ safe_divide('treatment_clicks', 'treatment_users') }} as treatment_click_rate,
        {{ safe_divide('control_clicks', 'control_users') }} as control_click_rate,
        {{ safe_divide('treatment_conversions', 'treatment_users') }} as treatment_conversion_rate,
        {{ safe_divide('control_conversions', 'control_users') }} as control_conversion_rate,
        {#- Null unless both arms have users (a nullif on each size): no comparison without. #}
        {{ safe_divide('treatment_conversions + control_conversions',
            'nullif(treatment_users, 0) + nullif(control_users, 0)') }} as pooled_conversion_rate,
        {{ safe_divide('treatment_revenue', 'treatment_users') }} as treatment_revenue_per_user,
        {{ safe_divide('control_revenue', 'control_users') }} as control_revenue_per_user
    from arms
),

standard_errors as (
    select
        *,
        treatment_conversion_rate - control_conversion_rate as conversion_lift,
        sqrt(
            treatment_conversion_rate * (1 - treatment_conversion_rate) / nullif(treatment_users, 0)
            + control_conversion_rate * (1 - control_conversion_rate) / nullif(control_users, 0)
        ) as unpooled_standard_error,
        sqrt(
            pooled_conversion_rate * (1 - pooled_conversion_rate)
            * (1.0 / nullif(treatment_users, 0) + 1.0 / nullif(control_users, 0))
        ) as pooled_standard_error
    from rates
),

tests as (
    select
        *,
        conversion_lift - {{ z_975 }} * unpooled_standard_error as conversion_lift_ci_lower,
        conversion_lift + {{ z_975 }} * unpooled_standard_error as conversion_lift_ci_upper,
        {#- Both rates 0, or both 1: no variation, nothing to test, and no difference. #}
        case
            when pooled_standard_error = 0 then 0.0
            else conversion_lift / pooled_standard_error
        end as conversion_lift_z,
        ({{ z_975 }} + {{ z_80 }}) * pooled_standard_error as minimum_detectable_effect
    from standard_errors
),

p_values as (
    select
        *,
        {#- z = 0 is p = 1 exactly (the approximation gives 1 - 1e-9). No z (an arm without
            users) is no p-value. #}
        case
            when conversion_lift_z = 0 then 1.0
            else 2 * (1 - {{ normal_cdf('abs(conversion_lift_z)') }})
        end as conversion_lift_p_value
    from tests
),

verdicts as (
    select
        *,
        case
            when
                treatment_users < {{ settings['lift_min_users_per_arm'] }}
                or control_users < {{ settings['lift_min_users_per_arm'] }}
                then 'too small to tell'
            {#- Nobody converted, or everybody did: nothing varies, so neither the interval
                ([0, 0]) nor the minimum detectable effect (0) says anything. #}
            when pooled_standard_error = 0 then 'too small to tell'
            when conversion_lift_ci_lower > 0 then 'lift'
            when conversion_lift_ci_upper < 0 then 'negative lift'
            when minimum_detectable_effect > {{ settings['lift_meaningful_effect'] }} then 'too small to tell'
            else 'no detectable lift'
        end as verdict
    from p_values
),

lift as (
    select
        campaign_key,
        cast(segment_id as {{ dbt.type_bigint() }}) as segment_id,
        segment_name,
        verdict,
        treatment_users,
        control_users,
        treatment_click_rate,
        control_click_rate,
        treatment_conversion_rate,
        control_conversion_rate,
        conversion_lift,
        {{ safe_divide('conversion_lift', 'control_conversion_rate') }} as conversion_relative_lift,
        conversion_lift_ci_lower,
        conversion_lift_ci_upper,
        conversion_lift_p_value,
        minimum_detectable_effect,
        treatment_revenue_per_user,
        control_revenue_per_user,
        {#- The semantic layer's time dimension (MetricFlow needs one per measure): the mart is
            a state as of this build, so the build's start is the one time its rows have. #}
        {{ build_started_at() }} as built_at
    from verdicts
)

select * from lift
