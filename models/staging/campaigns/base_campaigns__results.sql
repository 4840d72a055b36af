{#- Every results row, once, with its position in the input and every reason it is rejected: the
    field checks of base_campaigns__result_rows plus duplicate_user_campaign. Of the rows
    sharing a (campaign key, user id), the first in input order that passes every field check
    is kept (the first when none does); the others are duplicates. An aggregate over the pairs,
    not a window, as for the export's duplicate ids: a window would sort every row. Rows are
    numbered from the stored table itself, before any filter (input_row_number). -#}

with

input_rows as (
    select
        {{ input_row_number() }} as source_row_number,
        *
    from {{ ref('base_campaigns__result_rows') }}
),

shared_pairs as (
    select
        campaign_key,
        user_id,
        coalesce(
            min(source_row_number) filter (where {{ list_length('field_rejection_reasons') }} = 0),
            min(source_row_number)
        ) as kept_source_row_number
    from input_rows
    where campaign_key is not null and user_id is not null
    group by 1, 2
    having count(*) > 1
),

flagged as (
    select
        input_rows.*,
        coalesce(input_rows.source_row_number <> shared_pairs.kept_source_row_number, false)
            as is_duplicate
    from input_rows
    left join shared_pairs
        on
            input_rows.campaign_key = shared_pairs.campaign_key
            and input_rows.user_id = shared_pairs.user_id
),

final as (
    select
        source_row_number,
        {%- for column in campaign_results_columns() %}
        {{ column }}_raw,
        {%- endfor %}
        user_id,
        campaign_key,
        is_exposed,
        is_clicked,
        is_converted,
        revenue,
        case
            when is_duplicate then {{ list_append('field_rejection_reasons', "'duplicate_user_campaign'") }}
            else field_rejection_reasons
        end as rejection_reasons
    from flagged
)

select * from final
