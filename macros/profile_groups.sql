{# Profile of groups of users: per group its size and share of the population, the mean, median
   and index (against the population mean) of every profile metric, and the modal value of every
   trait with its share. `members` holds one row per group and member with the group key and the
   profile columns; `population` one row per user of the population. Returns a query, to wrap
   in a CTE: `profiles as ({{ profile_groups('members', 'population', 'group_key') }})`. A group
   with no members has no row. #}
{% macro profile_groups(members, population, group_by) %}
    {%- set metrics = profile_metrics() -%}
    {%- set traits = profile_traits() %}
    with

    group_stats as (
        select
            {{ group_by }},
            count(*) as users,
            {%- for metric in metrics %}
            avg({{ metric }}) as avg_{{ metric }},
            {{ median(metric) }} as median_{{ metric }},
            {%- endfor %}
        from {{ members }}
        group by 1
    ),

    population_stats as (
        select
            count(*) as population_users,
            {%- for metric in metrics %}
            avg({{ metric }}) as population_avg_{{ metric }},
            {%- endfor %}
        from {{ population }}
    ),

    trait_counts as (
        {%- for trait in traits %}
        select
            {{ group_by }},
            '{{ trait }}' as trait,
            {{ trait }} as trait_value,
            count(*) as users,
        from {{ members }}
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
                partition by {{ group_by }}, trait
                order by users desc, trait_value
            ) as trait_rank,
        from trait_counts
    ),

    modal_traits as (
        select
            {{ group_by }},
            {%- for trait in traits %}
            max(case when trait = '{{ trait }}' then trait_value end) as modal_{{ trait }},
            max(case when trait = '{{ trait }}' then users end) as modal_{{ trait }}_users,
            {%- endfor %}
        from ranked_traits
        where trait_rank = 1
        group by 1
    ),

    group_profiles as (
        select
            group_stats.{{ group_by }},
            {%- for trait in traits %}
            modal_traits.modal_{{ trait }},
            {%- endfor %}
            group_stats.users,
            group_stats.users / population_stats.population_users as share,
            {%- for metric in metrics %}
            group_stats.avg_{{ metric }},
            group_stats.median_{{ metric }},
            100 * {{ safe_divide('group_stats.avg_' ~ metric, 'population_stats.population_avg_' ~ metric) }}
                as {{ metric }}_index,
            {%- endfor %}
            {%- for trait in traits %}
            modal_traits.modal_{{ trait }}_users / group_stats.users as modal_{{ trait }}_share,
            {%- endfor %}
        from group_stats
        cross join population_stats
        inner join modal_traits
            on group_stats.{{ group_by }} = modal_traits.{{ group_by }}
    )

    select * from group_profiles
{%- endmacro %}
