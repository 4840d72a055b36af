{#- The input rows that did not pass: raw values as read, position in the file, every reason. -#}

with

profiles as (
    select * from {{ ref('base_platform__user_profiles') }}
    where {{ list_length('rejection_reasons') }} > 0
),

described as (
    select
        source_row_number,
        {%- for staging_name in export_columns() %}
        {{ staging_name }}_raw,
        {%- endfor %}
        rejection_reasons,
        {{ list_join('rejection_reasons', "', '") }} as rejection_reason_list,
        concat_ws(
            '; ',
            {%- for staging_name in export_columns() %}
            case
                when {{ list_has('rejection_reasons', "'missing_" ~ staging_name ~ "'") }}
                    or {{ list_has('rejection_reasons', "'unknown_" ~ staging_name ~ "'") }}
                    or {{ list_has('rejection_reasons', "'unparseable_" ~ staging_name ~ "'") }}
                    or {{ list_has('rejection_reasons', "'not_whole_" ~ staging_name ~ "'") }}
                    or {{ list_has('rejection_reasons', "'out_of_range_" ~ staging_name ~ "'") }}
                    or ('{{ staging_name }}' = 'user_id' and {{ list_has('rejection_reasons', "'duplicate_user_id'") }})
                    then '{{ staging_name }}=' || coalesce('''' || {{ staging_name }}_raw || '''', 'blank')
            end{{ ',' if not loop.last }}
            {%- endfor %}
        ) as rejected_values
    from profiles
)

select * from described
