{#- The semantic layer's time spine: one row per day. MetricFlow joins a metric to it only for
    time windows and days without rows; the marts' time dimension is the build's start
    (built_at), so the spine must cover the days builds run on, which
    assert_time_spine_covers_the_build checks on every build. A fixed range rather than one
    grown from the build history: the same rows on every engine and every build (test-spark
    compares the marts row for row), and a build past its end fails that test instead of
    silently losing days. -#}

with

spine as (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2020-01-01' as date)",
        end_date="cast('2040-01-01' as date)",
    ) }}
),

days as (
    select cast(date_day as date) as date_day
    from spine
)

select * from days
