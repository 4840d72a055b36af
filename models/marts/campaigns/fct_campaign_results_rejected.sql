{#- Every campaign results row that the lift does not count, with why: the rows staging
    rejected (stg_campaigns__results_rejected: a missing key, a value that is not a boolean,
    a click without exposure, a duplicate, ...) and the valid rows that match no audience
    member of a measured campaign (int_campaign_results_matched: `unknown_campaign`,
    `not_in_audience`). With the rows the lift counts, every input row exactly once
    (assert_every_campaign_results_row_accounted_for). -#}

with

staging_rejected as (
    select * from {{ ref('stg_campaigns__results_rejected') }}
),

matched as (
    select * from {{ ref('int_campaign_results_matched') }}
),

rejected as (
    select
        source_row_number,
        campaign_key_raw as campaign_key,
        user_id_raw as user_id,
        rejection_reason_list as rejection_reasons,
        'staging' as rejected_at
    from staging_rejected
    union all
    select
        source_row_number,
        campaign_key,
        user_id,
        rejection_reason as rejection_reasons,
        'measurement' as rejected_at
    from matched
    where rejection_reason is not null
)

select * from rejected
