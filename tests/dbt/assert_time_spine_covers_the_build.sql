{#- The semantic layer's time dimension is the build's start (built_at); MetricFlow joins it to
    the time spine dim_days, a fixed range of days. Returns a row for a build day the spine
    lacks (a build after its last day), so that the range is widened before days go missing. -#}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

days as (
    select * from {{ ref('dim_days') }}
),

build_days as (
    select distinct cast(built_at as date) as built_on
    from segments
),

missing as (
    select build_days.built_on
    from build_days
    left join days
        on build_days.built_on = days.date_day
    where days.date_day is null
)

select * from missing
