{#- fct_campaign_lift as published: the rows of a segment below the privacy floor are left
    out (there are none while fct_campaign_audiences leaves such segments out: this keeps it
    so if that changes). -#}

with

lift as (
    select * from {{ ref('fct_campaign_lift') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

published as (
    select lift.*
    from lift
    inner join segments
        on lift.segment_id = segments.segment_id
    where not segments.is_below_privacy_floor
)

select * from published
