{%- set metrics = profile_metrics() -%}
{%- set traits = profile_traits() -%}
{%- set settings = campaign_settings() -%}

with

profiles as (
    select * from {{ ref('int_segment_profiles') }}
),

personas as (
    select * from {{ ref('int_segment_personas') }}
),

centroids as (
    select * from {{ ref('int_segment_centroids') }}
),

segment_runs as (
    select distinct
        segment_id,
        run_id,
        structure_verdict,
        segment_stability_jaccard
    from centroids
),

segments as (
    select
        profiles.segment_id,
        personas.segment_name,
        personas.name_qualifier,
        personas.description,
        personas.persona_rule,
        segment_runs.run_id,
        segment_runs.structure_verdict,
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
        segment_runs.segment_stability_jaccard as stability_jaccard,
        {#- From naming Rule 6, with name_qualifier: one place decides both. #}
        personas.is_unstable,
        {#- The privacy floor, decided here once: fct_campaign_audiences and the published
            copies (pub_*) read this flag. #}
        profiles.users < {{ settings['min_segment_size'] }} as is_below_privacy_floor,
        {#- The semantic layer's time dimension (MetricFlow needs one per measure): the mart is
            a state as of this build, so the build's start is the one time its rows have. #}
        {{ build_started_at() }} as built_at
    from profiles
    inner join personas
        on profiles.segment_id = personas.segment_id
    inner join segment_runs
        on profiles.segment_id = segment_runs.segment_id
)

select * from segments
