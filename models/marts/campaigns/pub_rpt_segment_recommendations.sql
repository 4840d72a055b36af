{#- rpt_segment_recommendations as published: a segment below the privacy floor keeps its row
    and reach, without its device and interest targets or recommendation, named "Segment <id>". -#}

with

recommendations as (
    select * from {{ ref('rpt_segment_recommendations') }}
),

published as (
    select {{ privacy_floor_select('rpt_segment_recommendations') }}
    from recommendations
)

select * from published
