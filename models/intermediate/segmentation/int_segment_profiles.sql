{#- One row per segment: size, mean and median of every profile metric with its index against
    the whole population (100 = average), and the modal value of every trait with its share. -#}

{%- set metrics = profile_metrics() -%}
{%- set traits = profile_traits() -%}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

features as (
    select * from {{ ref('int_user_features') }}
),

assigned_features as (
    select
        assignments.segment_id,
        features.*,
    from features
    inner join assignments
        on features.user_id = assignments.user_id
),

segment_stats as (
    select
        segment_id,
        count(*) as users,
        {%- for metric in metrics %}
        avg({{ metric }}) as avg_{{ metric }},
        {{ median(metric) }} as median_{{ metric }},
        {%- endfor %}
    from assigned_features
    group by 1
),

population_stats as (
    select
        count(*) as population_users,
        {%- for metric in metrics %}
        avg({{ metric }}) as population_avg_{{ metric }},
        {%- endfor %}
    from assigned_features
),

trait_counts as (
    {%- for trait in traits %}
    select
        segment_id,
        '{{ trait }}' as trait,
        {{ trait }} as trait_value,
        count(*) as users,
    from assigned_features
    group by 1, 2, 3
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

ranked_traits as (
    select
        *,
        row_number() over (
            partition by segment_id, trait
            order by users desc, trait_value
        ) as trait_rank,
    from trait_counts
),

modal_traits as (
    select
        segment_id,
        {%- for trait in traits %}
        max(case when trait = '{{ trait }}' then trait_value end) as modal_{{ trait }},
        max(case when trait = '{{ trait }}' then users end) as modal_{{ trait }}_users,
        {%- endfor %}
    from ranked_traits
    where trait_rank = 1
    group by 1
),

profiles as (
    select
        segment_stats.segment_id,
        {%- for trait in traits %}
        modal_traits.modal_{{ trait }},
        {%- endfor %}
        segment_stats.users,
        segment_stats.users / population_stats.population_users as share,
        {%- for metric in metrics %}
        segment_stats.avg_{{ metric }},
        segment_stats.median_{{ metric }},
        100 * {{ safe_divide('segment_stats.avg_' ~ metric, 'population_stats.population_avg_' ~ metric) }}
            as {{ metric }}_index,
        {%- endfor %}
        {%- for trait in traits %}
        modal_traits.modal_{{ trait }}_users / segment_stats.users as modal_{{ trait }}_share,
        {%- endfor %}
    from segment_stats
    cross join population_stats
    inner join modal_traits
        on segment_stats.segment_id = modal_traits.segment_id
)

select * from profiles
