{#- One row per run and candidate number of segments: the sweep's quality figures, which k the
    run used, and the run's structure verdict. -#}

with

runs as (
    select * from {{ ref('dim_segmentation_runs') }}
),

history as (
    select * from {{ ref('int_segment_model_history') }}
),

sweeps as (
    select distinct
        run_id,
        sweep_json
    from history
),

candidates as (
    {#- candidate is a struct column (unnest_sweep), not a table: references.from (RF01)
        takes its fields for references to an unknown table. #}
    -- noqa: disable=RF01
    select
        sweeps.run_id,
        candidate.n_clusters,
        candidate.inertia,
        candidate.silhouette,
        candidate.calinski_harabasz,
        candidate.davies_bouldin,
        candidate.is_selected
    from sweeps
    cross join {{ unnest_sweep('sweeps.sweep_json', 'candidate') }}
    -- noqa: enable=RF01
),

quality as (
    select
        candidates.run_id,
        runs.structure_verdict,
        candidates.n_clusters,
        candidates.inertia,
        candidates.silhouette,
        candidates.calinski_harabasz,
        candidates.davies_bouldin,
        runs.null_silhouette_mean,
        runs.structure_z_score,
        runs.stability_ari,
        candidates.is_selected,
        runs.is_latest,
        runs.run_started_at
    from candidates
    inner join runs
        on candidates.run_id = runs.run_id
)

select * from quality
