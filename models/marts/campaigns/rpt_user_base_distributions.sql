{#- The user base at a glance: how many users have each value of the demographic traits, and
    histograms of the behaviour metrics in var histogram_bins equal-width bins between the
    metric's minimum and maximum (empty bins included, so a chart can draw them). The maximum
    falls in the last bin. Population-level counts only: no row describes a segment.
    Two scans of the users whatever the number of attributes: one for the population and the
    metrics' ranges, one counting every trait value and bin at once (grouping sets). -#}

{%- set traits = profile_traits() -%}
{%- set histograms = catalogue_metrics('histogram') -%}
{%- set bins = campaign_settings()['histogram_bins'] -%}

with

{# Read twice (ranges, then the counts that need them): streamed each time; a plain CTE would
    be stored whole for the second reader. #}
features {{ as_not_materialized() }} (
    select * from {{ ref('int_user_features') }}
),

ranges as (
    select
        count(*) as population_users,
        {%- for metric in histograms %}
        min({{ metric }}) * 1.0 as {{ metric }}__min,
        max({{ metric }}) * 1.0 as {{ metric }}__max{{ ',' if not loop.last }}
        {%- endfor %}
    from features
),

binned_features as (
    select
        {%- for trait in traits %}
        features.{{ trait }},
        {%- endfor %}
        {%- for metric in histograms %}
        {%- set span = '(ranges.' ~ metric ~ '__max - ranges.' ~ metric ~ '__min)' %}
        {#- A metric with one value everywhere (no span) puts every user in the first bin. #}
        least(
            coalesce(
                cast(floor(
                    (features.{{ metric }} - ranges.{{ metric }}__min) / nullif({{ span }}, 0) * {{ bins }}
                ) as integer) + 1,
                1
            ),
            {{ bins }}
        ) as {{ metric }}__bin{{ ',' if not loop.last }}
        {%- endfor %}
    from features
    cross join ranges
),

{# One row per attribute and value: `grouping(column) = 0` marks the grouping set a row
    counts (a trait's null value is a value like any other). #}
value_counts as (
    select
        case
            {%- for trait in traits %}
            when grouping({{ trait }}) = 0 then '{{ trait }}'
            {%- endfor %}
            {%- for metric in histograms %}
            when grouping({{ metric }}__bin) = 0 then '{{ metric }}'
            {%- endfor %}
        end as attribute_name,
        case
            {%- for trait in traits %}
            when grouping({{ trait }}) = 0 then {{ trait }}
            {%- endfor %}
        end as value_label,
        case
            {%- for trait in traits %}
            when grouping({{ trait }}) = 0 then {{ vocabulary_position(trait) }}
            {%- endfor %}
            {%- for metric in histograms %}
            when grouping({{ metric }}__bin) = 0 then {{ metric }}__bin
            {%- endfor %}
        end as value_position,
        count(*) as users
    from binned_features
    {#- sqlfluff's duckdb dialect cannot parse grouping sets (standard SQL, and DuckDB's). #}
    -- noqa: disable=PRS
    group by grouping sets (
        {%- for column in traits + histograms %}
        ({{ column }}{{ '__bin' if column in histograms }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
    -- noqa: enable=PRS
),

trait_counts as (
    select
        attribute_name,
        value_label,
        value_position,
        users
    from value_counts
    where attribute_name in ({% for trait in traits %}'{{ trait }}'{{ ', ' if not loop.last }}{% endfor %})
),

binned_users as (
    select
        attribute_name,
        value_position as bin_position,
        users
    from value_counts
    where attribute_name in ({% for metric in histograms %}'{{ metric }}'{{ ', ' if not loop.last }}{% endfor %})
),

bin_numbers as (
    {%- for position in range(1, bins + 1) %}
    select {{ position }} as bin_position
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
            as bin_upper
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
        bins.bin_upper
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
        cast(trait_counts.users as {{ type_double() }}) / ranges.population_users as share,
        null as bin_lower,
        null as bin_upper
    from trait_counts
    cross join ranges
    union all
    select
        histogram_counts.attribute_name,
        'histogram' as distribution_kind,
        histogram_counts.value_label,
        histogram_counts.value_position,
        histogram_counts.users,
        cast(histogram_counts.users as {{ type_double() }}) / ranges.population_users as share,
        histogram_counts.bin_lower,
        histogram_counts.bin_upper
    from histogram_counts
    cross join ranges
)

select * from distributions
