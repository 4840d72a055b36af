{#- The results rows that did not pass: raw values as read, position in the input, every reason. -#}

with

results as (
    select * from {{ ref('base_campaigns__results') }}
    where {{ list_length('rejection_reasons') }} > 0
),

described as (
    select
        source_row_number,
        {%- for column in campaign_results_columns() %}
        {{ column }}_raw,
        {%- endfor %}
        rejection_reasons,
        {{ list_join('rejection_reasons', "', '") }} as rejection_reason_list
    from results
)

select * from described
