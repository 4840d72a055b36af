{{
    config(
        materialized='table',
        pre_hook="{{ drop_user_profiles_read_errors() }}",
        post_hook="{{ check_user_profiles_read() }}"
    )
}}

{#- Every input row, once, in input order: its parsed values, every reason a field fails its
    check and, for such a row, its raw text. One streaming pass (on every core from Parquet,
    the seed, or a CSV file without short rows or line breaks inside quotes; any other CSV file
    is read by one thread, see csv_reads_in_parallel); what
    needs the whole input (row numbers, duplicate ids) is decided after it, in
    base_platform__user_profiles. Numbering rows while reading (`row_number() over ()`) would
    run the whole pass on one thread, so the row number is the position the table stores the
    row at (input_row_number). Raw text is kept for rejected rows only: storing it for every
    row would write the input a second time. A line the read cannot parse at all (e.g. text not
    in var user_profiles_encoding) stops the build here, with one message. -#}

{%- set mapped = map_export_columns(user_profiles_input_headers()) -%}
{%- set vocabularies = var('vocabularies') -%}
{%- set numeric_rules = numeric_column_rules() -%}

with

source_rows as (
    select
        {%- for staging_name in export_columns() %}
        {%- if execute %}
        cast({{ adapter.quote(mapped.columns[staging_name]) }} as {{ dbt.type_string() }}) as {{ staging_name }}_raw
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ staging_name }}_raw
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ user_profiles_input(whole_file=true) }}
),

{# Only spaces are trimmed: trimming tabs and line breaks too costs several seconds per
    million rows, so such a value is not blank and is checked as written. -#}
trimmed as (
    select
        *,
        {%- for staging_name in export_columns() %}
        nullif(trim({{ staging_name }}_raw), '') as {{ staging_name }}_text{{ ',' if not loop.last }}
        {%- endfor %}
    from source_rows
),

parsed as (
    select
        *,
        user_id_text as user_id,
        {%- for column, values in vocabularies.items() %}
        case lower({{ column }}_text)
            {%- for value in values %}
            when {{ sql_string_literal(value | lower) }} then {{ sql_string_literal(value) }}
            {%- endfor %}
        end as {{ column }},
        {%- endfor %}
        {%- for column, rule in numeric_rules.items() %}
        {{ try_cast(column ~ '_text', type_double()) }} as {{ column }}_number,
        {%- endfor %}
        top_interests_text as top_interests,
        coalesce(lower(user_id_text) in ('user id', 'user_id', 'userid'), false) as is_repeated_header
    from trimmed
),

checked as (
    select
        *,
        case
            when is_repeated_header then {{ list_literal(["'repeated_header'"]) }}
            else {{ collect_reasons(
                ["case when user_id is null then 'missing_user_id' end"]
                + rejection_checks(vocabularies, numeric_rules)
            ) }}
        end as field_rejection_reasons
    from parsed
),

final as (
    select
        {%- for staging_name in export_columns() %}
        case when {{ list_length('field_rejection_reasons') }} > 0 then {{ staging_name }}_raw end as {{ staging_name }}_raw,
        {%- endfor %}
        user_id,
        {%- for column in vocabularies %}
        {{ column }},
        {%- endfor %}
        {%- for column, rule in numeric_rules.items() %}
        {{ try_cast(column ~ '_number', rule.type) }} as {{ column }},
        {%- endfor %}
        top_interests,
        {{ interest_list('top_interests') }} as interest_names,
        is_repeated_header,
        field_rejection_reasons
    from checked
)

select * from final
