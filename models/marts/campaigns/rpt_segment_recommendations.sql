{#- One campaign recommendation per segment; every choice is a rule on the data, documented in
    _campaigns__docs.md: when to schedule, which device and interests to target, what to expect. -#}

{%- set settings = campaign_settings() -%}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

{# The cluster segments straight from the scoring, joined on the input row number (see
    source_row_number): fct_user_segments adds only names and confidences. #}
user_segments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

{# Read twice (the device counts and the population means): streamed each time, never
    stored whole. #}
features {{ as_not_materialized() }} (
    select * from {{ ref('int_user_features') }}
),

interests as (
    select * from {{ ref('fct_segment_interests') }}
),

audiences as (
    select * from {{ ref('fct_campaign_audiences') }}
),

user_devices as (
    select
        user_segments.segment_id,
        features.device_usage,
        features.click_through_rate,
        features.conversion_rate
    from user_segments
    inner join features
        on user_segments.source_row_number = features.source_row_number
),

{# Every valid user is in exactly one segment (assert_every_user_in_exactly_one_segment), so
    the population is read without the join. #}
population as (
    select
        count(*) as population_users,
        avg(click_through_rate) as population_click_through_rate,
        avg(conversion_rate) as population_conversion_rate
    from features
),

device_counts as (
    select
        segment_id,
        device_usage,
        count(*) as users
    from user_devices
    group by 1, 2
),

segment_device_totals as (
    select
        segment_id,
        sum(users) as segment_users
    from device_counts
    group by 1
),

population_device_totals as (
    select
        device_usage,
        sum(users) as population_device_users
    from device_counts
    group by 1
),

device_indexes as (
    select
        device_counts.segment_id,
        device_counts.device_usage,
        cast(device_counts.users as {{ type_double() }}) / segment_device_totals.segment_users
            as share_of_segment,
        100 * (cast(device_counts.users as {{ type_double() }}) / segment_device_totals.segment_users)
        / (cast(population_device_totals.population_device_users as {{ type_double() }}) / population.population_users)
            as device_usage_index
    from device_counts
    inner join segment_device_totals
        on device_counts.segment_id = segment_device_totals.segment_id
    inner join population_device_totals
        on device_counts.device_usage = population_device_totals.device_usage
    cross join population
),

ranked_devices as (
    select
        *,
        row_number() over (
            partition by segment_id
            order by device_usage_index desc, device_usage asc
        ) as device_rank
    from device_indexes
),

target_devices as (
    select
        segment_id,
        device_usage as target_device_usage,
        share_of_segment as target_device_usage_share,
        device_usage_index as target_device_usage_index
    from ranked_devices
    where device_rank = 1
),

{# Support first, so that an interest listed by a handful of users cannot win on lift alone;
   only over-indexed interests (lift > 1) are worth leading with. #}
supported_interests as (
    select
        segment_id,
        interest_name,
        lift,
        row_number() over (
            partition by segment_id
            order by lift desc, users desc, interest_name asc
        ) as lift_rank
    from interests
    where
        users >= {{ settings['interest_min_users'] }}
        and share_of_segment >= {{ settings['interest_min_share_of_segment'] }}
        and lift > 1
),

top_interests as (
    select
        segment_id,
        max(case when lift_rank = 1 then interest_name end) as top_interest_1,
        max(case when lift_rank = 2 then interest_name end) as top_interest_2,
        max(case when lift_rank = 3 then interest_name end) as top_interest_3,
        {{ dbt.listagg('interest_name', "', '", 'order by lift_rank') }} as top_interests,
        max(case when lift_rank = 1 then lift end) as top_interest_1_lift,
        max(case when lift_rank = 2 then lift end) as top_interest_2_lift,
        max(case when lift_rank = 3 then lift end) as top_interest_3_lift
    from supported_interests
    where lift_rank <= 3
    group by 1
),

reachable as (
    select
        segment_id,
        count(*) as reachable_users
    from audiences
    group by 1
),

all_reachable as (
    select cast(coalesce(sum(reachable_users), 0) as {{ dbt.type_bigint() }}) as all_reachable_users from reachable
),

choices as (
    select
        cast(segments.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        segments.segment_name,
        segments.name_qualifier,
        case
            when
                segments.weekend_hours_online_index - segments.weekday_hours_online_index
                >= {{ settings['schedule_index_margin'] }}
                then 'weekends'
            when
                segments.weekday_hours_online_index - segments.weekend_hours_online_index
                >= {{ settings['schedule_index_margin'] }}
                then 'weekdays'
            else 'all week'
        end as schedule_on,
        target_devices.target_device_usage,
        top_interests.top_interest_1,
        top_interests.top_interest_2,
        top_interests.top_interest_3,
        top_interests.top_interests,
        segments.users,
        coalesce(reachable.reachable_users, 0) as reachable_users,
        {{ safe_divide('cast(coalesce(reachable.reachable_users, 0) as ' ~ type_double() ~ ')',
            'all_reachable.all_reachable_users') }} as share_of_reachable_users,
        segments.weekday_hours_online_index,
        segments.weekend_hours_online_index,
        target_devices.target_device_usage_share,
        target_devices.target_device_usage_index,
        top_interests.top_interest_1_lift,
        top_interests.top_interest_2_lift,
        top_interests.top_interest_3_lift,
        segments.avg_click_through_rate as expected_click_through_rate,
        population.population_click_through_rate,
        segments.click_through_rate_index,
        segments.avg_conversion_rate as expected_conversion_rate,
        population.population_conversion_rate,
        segments.conversion_rate_index,
        segments.is_below_privacy_floor
    from segments
    cross join population
    cross join all_reachable
    left join target_devices
        on segments.segment_id = target_devices.segment_id
    left join top_interests
        on segments.segment_id = top_interests.segment_id
    left join reachable
        on segments.segment_id = reachable.segment_id
),

sentences as (
    select
        *,
        {#- The caveat of naming Rule 6 (dim_segments.name_qualifier) comes first. #}
        coalesce('Caution: ' || name_qualifier || '. ', '') as caution_clause,
        case
            when schedule_on = 'all week' then 'Schedule all week'
            else 'Schedule on ' || schedule_on
        end as schedule_clause,
        coalesce(
            'target ' || target_device_usage
            || ' (index ' || {{ format_decimal('target_device_usage_index', 0) }} || ')',
            'target any device'
        ) as device_clause,
        coalesce('lead with ' || top_interests, 'no interest stands out') as interest_clause,
        coalesce(
            'expected CTR ' || {{ format_decimal('expected_click_through_rate', 3) }}
            || ' (index ' || {{ format_decimal('click_through_rate_index', 0) }} || ')',
            'expected CTR unknown'
        ) as click_clause,
        coalesce(
            'conversion rate ' || {{ format_decimal('expected_conversion_rate', 3) }}
            || ' (index ' || {{ format_decimal('conversion_rate_index', 0) }} || ')',
            'conversion rate unknown'
        ) as conversion_clause
    from choices
),

recommendations as (
    select
        segment_id,
        segment_name,
        name_qualifier,
        schedule_on,
        target_device_usage,
        top_interest_1,
        top_interest_2,
        top_interest_3,
        top_interests,
        caution_clause || schedule_clause || '; ' || device_clause || '; ' || interest_clause || '; '
        || click_clause || ', ' || conversion_clause as recommendation,
        users,
        reachable_users,
        share_of_reachable_users,
        weekday_hours_online_index,
        weekend_hours_online_index,
        target_device_usage_share,
        target_device_usage_index,
        top_interest_1_lift,
        top_interest_2_lift,
        top_interest_3_lift,
        expected_click_through_rate,
        population_click_through_rate,
        click_through_rate_index,
        expected_conversion_rate,
        population_conversion_rate,
        conversion_rate_index,
        is_below_privacy_floor
    from sentences
)

select * from recommendations
