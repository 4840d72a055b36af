{#- Every input row, once, with its position in the input and every reason it is rejected: the
    field checks of base_platform__user_profile_rows plus duplicate_user_id.
    stg_platform__user_profiles keeps the rows with no reason, _rejected the others. The share
    rejected is checked by the tests of those two (input_accepted, input_rows_rejected).
    source_row_number is what the per-user models join on within a build: unique like user_id,
    but a whole number, which DuckDB hashes and compares far faster than text (10M users: a
    profile join in about half the time). Unique by construction: the row's stored position
    in base_platform__user_profile_rows. -#}

{%- set vocabularies = var('vocabularies') -%}
{%- set numeric_rules = numeric_column_rules() -%}

with

input_rows as (
    select
        {{ input_row_number() }} as source_row_number,
        *
    from {{ ref('base_platform__user_profile_rows') }}
),

duplicates as (
    select * from {{ ref('base_platform__user_profile_duplicates') }}
),

flagged as (
    select
        input_rows.*,
        duplicates.source_row_number is not null as is_duplicate
    from input_rows
    left join duplicates
        on input_rows.source_row_number = duplicates.source_row_number
),

{# A row rejected only as a duplicate passed every field check, so its raw text was not kept:
    its values are shown as parsed, written as text. -#}
final as (
    select
        source_row_number,
        {%- for staging_name in export_columns() %}
        case
            when is_duplicate and {{ list_length('field_rejection_reasons') }} = 0
                then cast({{ staging_name }} as {{ dbt.type_string() }})
            else {{ staging_name }}_raw
        end as {{ staging_name }}_raw,
        {%- endfor %}
        user_id,
        {%- for column in vocabularies %}
        {{ column }},
        {%- endfor %}
        {%- for column in numeric_rules %}
        {{ column }},
        {%- endfor %}
        top_interests,
        interest_names,
        case
            when is_duplicate then {{ list_append('field_rejection_reasons', "'duplicate_user_id'") }}
            else field_rejection_reasons
        end as rejection_reasons
    from flagged
)

select * from final
