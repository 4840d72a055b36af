{#- dim_segments' metrics in long form, one row per segment and metric, beside the population
    mean and a flag for the metrics the segments were clustered on: what radar charts and
    trait lists read. A categorical clustering feature with bands (age_band, income_band) is
    shown by its band midpoint; one without an order (gender, …) has no metric here. -#}

{%- set metrics = profile_metrics() -%}
{%- set numeric_features = var('numeric_features') -%}
{%- set categorical_features = var('categorical_features') -%}
{%- set band_midpoints = {'age_midpoint_years': 'age_band', 'income_midpoint_usd': 'income_band'} -%}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

features as (
    select * from {{ ref('int_user_features') }}
),

population as (
    select
        {%- for metric in metrics %}
        avg({{ metric }}) as population_avg_{{ metric }}{{ ',' if not loop.last }}
        {%- endfor %}
    from features
),

metric_indexes as (
    {%- for metric in metrics %}
    {%- if metric in numeric_features %}
    {%- set clustering_feature = metric %}
    {%- elif metric in band_midpoints and band_midpoints[metric] in categorical_features %}
    {%- set clustering_feature = band_midpoints[metric] %}
    {%- else %}
    {%- set clustering_feature = none %}
    {%- endif %}
    select
        cast(segments.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        segments.segment_name,
        '{{ metric }}' as metric_name,
        {% if clustering_feature -%}
        '{{ clustering_feature }}'
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as clustering_feature,
        {{ loop.index }} as metric_position,
        segments.avg_{{ metric }} as segment_avg,
        segments.median_{{ metric }} as segment_median,
        population.population_avg_{{ metric }} as population_avg,
        segments.{{ metric }}_index as metric_index,
        {{ 'true' if clustering_feature else 'false' }} as is_clustering_feature
    from segments
    cross join population
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from metric_indexes
