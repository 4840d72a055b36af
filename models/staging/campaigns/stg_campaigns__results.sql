with

results as (
    select * from {{ ref('base_campaigns__results') }}
    where {{ list_length('rejection_reasons') }} = 0
),

final as (
    select
        source_row_number,
        campaign_key,
        user_id,
        is_exposed,
        is_clicked,
        is_converted,
        revenue
    from results
)

select * from final
