{{ config(materialized='table') }}

{#- The percentile rank of every value of each ranked behaviour metric (percentile_ranked_metrics)
    within the population: one row per metric and distinct value, a few thousand rows at any
    number of users. int_user_profiles_assembled joins it back to each user, so no 10M-row
    table stores a rank per user before int_user_rule_segments_matched does. Values are cast to
    double so that one column holds every metric (exact for the whole-number counts). -#}

{%- set ranked_metrics = percentile_ranked_metrics() %}

with

{# Read once per metric: streamed each time, so each rank reads only its own column. #}
features {{ as_not_materialized() }} (
    select * from {{ ref('int_user_features') }}
),

{%- for metric in ranked_metrics %}

{{ metric }}_ranks as (
    {{ percentile_rank('features', metric) }}
),
{%- endfor %}

metric_ranks as (
    {%- for metric in ranked_metrics %}
    select
        '{{ metric }}' as metric_name,
        cast(value as {{ type_double() }}) as metric_value,
        percentile
    from {{ metric }}_ranks
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from metric_ranks
