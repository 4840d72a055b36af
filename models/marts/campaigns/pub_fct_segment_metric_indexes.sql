{#- fct_segment_metric_indexes as published: the rows of a segment below the privacy floor are
    left out (one row per segment and value would describe its few members). -#}

with

metric_indexes as (
    select * from {{ ref('fct_segment_metric_indexes') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

published as (
    select metric_indexes.*
    from metric_indexes
    inner join segments
        on metric_indexes.segment_id = segments.segment_id
    where not segments.is_below_privacy_floor
)

select * from published
