{#- dim_segments as BI tools and campaigns get it (python -m segmentation.publish copies it):
    a segment below the privacy floor keeps its row, size and behaviour averages, without the
    columns privacy_floor_withheld_columns names and with the name "Segment <id>". -#}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

published as (
    select {{ privacy_floor_select('dim_segments') }}
    from segments
)

select * from published
