{%- set metrics = profile_metrics() -%}
{%- set traits = profile_traits() -%}

with

profiles as (
    select * from {{ ref('int_segment_profiles') }}
),

personas as (
    select * from {{ ref('int_segment_personas') }}
),

segments as (
    select
        profiles.segment_id,
        personas.segment_name,
        personas.description,
        personas.persona_rule,
        {%- for trait in traits %}
        profiles.modal_{{ trait }},
        {%- endfor %}
        profiles.users,
        profiles.share,
        {%- for metric in metrics %}
        profiles.avg_{{ metric }},
        profiles.median_{{ metric }},
        profiles.{{ metric }}_index,
        {%- endfor %}
        {%- for trait in traits %}
        profiles.modal_{{ trait }}_share,
        {%- endfor %}
    from profiles
    inner join personas
        on profiles.segment_id = personas.segment_id
)

select * from segments
