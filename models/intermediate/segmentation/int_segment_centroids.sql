{#- The model users are scored with: the latest run in the history (a refit, or with
    refit: false the stored model), one row per segment and model column. -#}

with

history as (
    select * from {{ ref('int_segment_model_history') }}
),

latest_run as (
    select run_id from history
    order by run_started_at desc, run_id asc
    limit 1
),

centroids as (
    select history.*
    from history
    inner join latest_run
        on history.run_id = latest_run.run_id
)

select * from centroids
