{#- fct_segment_interests as published: the rows of a segment below the privacy floor are
    left out (one row per segment and value would describe its few members). -#}

with

interests as (
    select * from {{ ref('fct_segment_interests') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

published as (
    select interests.*
    from interests
    inner join segments
        on interests.segment_id = segments.segment_id
    where not segments.is_below_privacy_floor
)

select * from published
