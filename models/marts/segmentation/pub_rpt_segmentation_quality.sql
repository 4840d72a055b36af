{#- rpt_segmentation_quality as published, whole: it describes no segment's members. -#}

with

quality as (
    select * from {{ ref('rpt_segmentation_quality') }}
)

select * from quality
