{#- The user base at a glance: how many users have each value of the demographic traits, and
    histograms of the behaviour metrics in var histogram_bins equal-width bins between the
    metric's minimum and maximum (empty bins included, so a chart can draw them). The maximum
    falls in the last bin. Population-level counts only: no row describes a segment. -#}

{%- set traits = ['age_band', 'gender', 'education_level', 'income_band', 'device_usage', 'location', 'language'] -%}
{%- set histograms = ['weekday_hours_online', 'weekend_hours_online', 'click_through_rate', 'conversion_rate', 'ad_interaction_seconds'] -%}
{%- set bins = campaign_settings()['histogram_bins'] -%}
{%- set vocabularies = var('vocabularies') -%}

with

features as (
    select * from {{ ref('int_user_features') }}
),

population as (
    select count(*) as population_users from features
),

trait_counts as (
    {%- for trait in traits %}
    select
        '{{ trait }}' as attribute_name,
        {{ trait }} as value_label,
        case {{ trait }}
            {%- for value in vocabularies[trait] %}
            when {{ sql_string_literal(value) }} then {{ loop.index }}
            {%- endfor %}
        end as value_position,
        count(*) as users,
    from features
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

ranges as (
    select
        {%- for metric in histograms %}
        min({{ metric }}) * 1.0 as {{ metric }}__min,
        max({{ metric }}) * 1.0 as {{ metric }}__max,
        {%- endfor %}
    from features
),

bin_numbers as (
    {%- for position in range(1, bins + 1) %}
    select {{ position }} as bin_position
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

binned_users as (
    {%- for metric in histograms %}
    {%- set span = '(ranges.' ~ metric ~ '__max - ranges.' ~ metric ~ '__min)' %}
    select
        '{{ metric }}' as attribute_name,
        {#- A metric with one value everywhere (no span) puts every user in the first bin. -#}
        least(
            coalesce(
                cast(floor(
                    (features.{{ metric }} - ranges.{{ metric }}__min) / nullif({{ span }}, 0) * {{ bins }}
                ) as integer) + 1,
                1
            ),
            {{ bins }}
        ) as bin_position,
        count(*) as users,
    from features
    cross join ranges
    group by 1, 2
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

bins as (
    {%- for metric in histograms %}
    select
        '{{ metric }}' as attribute_name,
        bin_numbers.bin_position,
        ranges.{{ metric }}__min
        + (ranges.{{ metric }}__max - ranges.{{ metric }}__min) * (bin_numbers.bin_position - 1) / {{ bins }}
            as bin_lower,
        ranges.{{ metric }}__min
        + (ranges.{{ metric }}__max - ranges.{{ metric }}__min) * bin_numbers.bin_position / {{ bins }}
            as bin_upper,
    from bin_numbers
    cross join ranges
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

histogram_counts as (
    select
        bins.attribute_name,
        {{ format_decimal('bins.bin_lower', 3) }} || ' to ' || {{ format_decimal('bins.bin_upper', 3) }}
            as value_label,
        bins.bin_position as value_position,
        coalesce(binned_users.users, 0) as users,
        bins.bin_lower,
        bins.bin_upper,
    from bins
    left join binned_users
        on
            bins.attribute_name = binned_users.attribute_name
            and bins.bin_position = binned_users.bin_position
),

distributions as (
    select
        trait_counts.attribute_name,
        'category' as distribution_kind,
        trait_counts.value_label,
        trait_counts.value_position,
        trait_counts.users,
        trait_counts.users * 1.0 / population.population_users as share,
        null as bin_lower,
        null as bin_upper,
    from trait_counts
    cross join population
    union all
    select
        histogram_counts.attribute_name,
        'histogram' as distribution_kind,
        histogram_counts.value_label,
        histogram_counts.value_position,
        histogram_counts.users,
        histogram_counts.users * 1.0 / population.population_users as share,
        histogram_counts.bin_lower,
        histogram_counts.bin_upper,
    from histogram_counts
    cross join population
)

select * from distributions
