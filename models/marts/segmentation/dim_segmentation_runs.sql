{#- One row per fitted run: when, on what, with which settings and library versions, and how
    far to trust it (structure verdict and stability). Builds that scored with a stored model
    (refit: false) fit nothing and add no row. -#}

with

history as (
    select * from {{ ref('int_segment_model_history') }}
),

runs as (
    select distinct
        run_id,
        refit_reason,
        input_fingerprint,
        algorithm,
        structure_verdict,
        settings_json,
        versions_json,
        input_rows,
        fit_rows,
        quality_rows,
        n_clusters,
        random_seed,
        n_init,
        inertia,
        silhouette,
        null_silhouette_mean,
        null_silhouette_std,
        structure_z_score,
        stability_ari,
        run_started_at
    from history
),

flagged as (
    select
        *,
        run_started_at = max(run_started_at) over () as is_latest
    from runs
)

select * from flagged
