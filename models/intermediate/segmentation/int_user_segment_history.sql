{{
    config(
        materialized='incremental',
        unique_key='user_id',
        incremental_strategy=upsert_strategy(),
        full_refresh=false,
        pre_hook="{{ copy_upsert_previous_rows() }}"
    )
}}

{#- Each user's latest segment and the one before it: what fct_segment_transitions counts. Kept
    across builds (incremental, never fully refreshed); a user who leaves the input keeps
    their last row. Where the upsert overwrites the whole table (local Spark), the query may not
    read that table and must carry over the rows of users who left itself: hence
    upsert_previous_rows() and upsert_kept_rows() (macros/engine/upsert_strategy.sql). -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

run as (
    select * from {{ ref('int_segmentation_run') }}
),

{% if is_incremental() %}
previous as (
    select * from {{ upsert_previous_rows() }}
),
{% endif %}

history as (
    select
        assignments.user_id,
        run.run_id,
        assignments.segment_id,
        {%- if is_incremental() %}
        previous.run_id as previous_run_id,
        previous.segment_id as previous_segment_id,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as previous_run_id,
        cast(null as {{ dbt.type_bigint() }}) as previous_segment_id,
        {%- endif %}
        run.run_started_at
    from assignments
    cross join run
    {%- if is_incremental() %}
    left join previous
        on assignments.user_id = previous.user_id
    {%- endif %}
)

select * from history
{%- if is_incremental() %}{{ upsert_kept_rows('previous', 'history', 'user_id') }}{% endif %}
