{{ config(materialized='table') }}

{#- Every results row, once, in input order: its raw text, its parsed values and every reason a
    field fails its check. Stored as a table, so that base_campaigns__results can number the
    rows by their stored position (input_row_number) and check duplicates after this one pass.
    A file without a revenue column gives a null revenue on every row (it is optional); a file
    without another column never gets here (check_campaign_results_file stops the run). -#}

{%- set mapped = map_campaign_results_columns() -%}
{%- set booleans = ['exposed', 'clicked', 'converted'] -%}

with

source_rows as (
    select
        {%- for column in campaign_results_columns() %}
        {%- if column in mapped.columns %}
        cast({{ adapter.quote(mapped.columns[column]) }} as {{ dbt.type_string() }}) as {{ column }}_raw
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}_raw
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ campaign_results_input() }}
),

{# Only spaces are trimmed, as for the export. -#}
trimmed as (
    select
        *,
        {%- for column in campaign_results_columns() %}
        nullif(trim({{ column }}_raw), '') as {{ column }}_text{{ ',' if not loop.last }}
        {%- endfor %}
    from source_rows
),

parsed as (
    select
        *,
        user_id_text as user_id,
        {#- Keys are lowercase (var campaigns): a key reported as 'Demo_Launch' is demo_launch. #}
        lower(campaign_key_text) as campaign_key,
        {%- for column in booleans %}
        case lower({{ column }}_text)
            when 'true' then true
            when '1' then true
            when 'false' then false
            when '0' then false
        end as is_{{ column }},
        {%- endfor %}
        {{ try_cast('revenue_text', type_double()) }} as revenue_number
    from trimmed
),

checked as (
    select
        *,
        {{ collect_reasons([
            "case when user_id is null then 'missing_user_id' end",
            "case when campaign_key is null then 'missing_campaign_key' end",
            "case when exposed_text is null then 'missing_exposed' end",
            "case when exposed_text is not null and is_exposed is null then 'unparseable_exposed' end",
            "case when clicked_text is null then 'missing_clicked' end",
            "case when clicked_text is not null and is_clicked is null then 'unparseable_clicked' end",
            "case when converted_text is null then 'missing_converted' end",
            "case when converted_text is not null and is_converted is null then 'unparseable_converted' end",
            "case when is_clicked and not is_exposed then 'clicked_not_exposed' end",
            "case when revenue_text is not null and (revenue_number is null or "
                ~ is_not_finite('revenue_number') ~ ") then 'unparseable_revenue' end",
            "case when revenue_number < 0 and not (" ~ is_not_finite('revenue_number')
                ~ ") then 'negative_revenue' end",
        ]) }} as field_rejection_reasons
    from parsed
),

final as (
    select
        {%- for column in campaign_results_columns() %}
        {{ column }}_raw,
        {%- endfor %}
        user_id,
        campaign_key,
        {%- for column in booleans %}
        is_{{ column }},
        {%- endfor %}
        case
            when revenue_number is null or {{ is_not_finite('revenue_number') }} then null
            else revenue_number
        end as revenue,
        field_rejection_reasons
    from checked
)

select * from final
