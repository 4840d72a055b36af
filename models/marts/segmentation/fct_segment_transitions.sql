{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false
    )
}}

{#- Per build: how many users moved from each segment to each other (previous_segment_id null:
    a user new since the build before). -#}

with

history as (
    select * from {{ ref('int_user_segment_history') }}
),

run as (
    select * from {{ ref('int_segmentation_run') }}
),

transitions as (
    select
        history.run_id,
        history.previous_run_id,
        history.previous_segment_id,
        history.segment_id,
        count(*) as users,
        {#- `previous is distinct from current`, spelled out because sqlfluff's duckdb dialect
            cannot parse `is distinct from`: a null on exactly one side counts as a change. #}
        coalesce(
            history.previous_segment_id <> history.segment_id,
            (history.previous_segment_id is null) <> (history.segment_id is null)
        ) as is_change
    from history
    inner join run
        on history.run_id = run.run_id
    group by 1, 2, 3, 4
)

select * from transitions
