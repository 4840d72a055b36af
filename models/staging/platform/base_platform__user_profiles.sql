{{
    config(
        materialized='table',
        post_hook="{{ check_rejected_share(this) }}",
    )
}}

{#- Every input row, once: its parsed values, every reason it is rejected and, for a rejected
    row, its raw text. stg_platform__user_profiles keeps the rows with no reason, _rejected the
    others. The share rejected is checked right after this model builds, before anything reads
    it. Raw text is only read for rejected rows: storing it for every row would write the
    input a second time. -#}

{%- set mapped = map_export_columns(user_profiles_input_headers()) -%}
{%- set vocabularies = var('vocabularies') -%}
{%- set numeric_rules = numeric_column_rules() -%}

with

source_rows as (
    select
        {{ user_profiles_row_number() }} as source_row_number,
        {%- for staging_name in export_columns() %}
        {%- if execute %}
        cast({{ adapter.quote(mapped.columns[staging_name]) }} as {{ dbt.type_string() }}) as {{ staging_name }}_raw,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ staging_name }}_raw,
        {%- endif %}
        {%- endfor %}
    from {{ user_profiles_input() }}
),

trimmed as (
    select
        *,
        {%- for staging_name in export_columns() %}
        nullif(trim({{ staging_name }}_raw), '') as {{ staging_name }}_text,
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
        lower(user_id_text) in ('user id', 'user_id', 'userid') as is_repeated_header,
    from trimmed
),

checked as (
    select
        *,
        {{ collect_reasons(
            ["case when user_id is null then 'missing_user_id' end"]
            + rejection_checks(vocabularies, numeric_rules)
        ) }} as field_reasons,
    from parsed
),

{# Of the rows sharing an id, the first valid one in file order is kept (the first one
    when none is valid); the others are duplicates. An aggregate over ids, not a window: a
    window would sort every row with all its columns. -#}
kept_rows as (
    select
        user_id,
        coalesce(
            min(source_row_number) filter (where len(field_reasons) = 0),
            min(source_row_number)
        ) as kept_source_row_number,
    from checked
    where user_id is not null
    group by 1
    having count(*) > 1
),

ranked as (
    select
        checked.*,
        kept_rows.kept_source_row_number is not null
        and checked.source_row_number <> kept_rows.kept_source_row_number as is_duplicate,
    from checked
    left join kept_rows
        on checked.user_id = kept_rows.user_id
),

reasoned as (
    select
        *,
        case
            when is_repeated_header then ['repeated_header']
            when is_duplicate then list_append(field_reasons, 'duplicate_user_id')
            else field_reasons
        end as rejection_reasons,
    from ranked
),

final as (
    select
        source_row_number,
        {%- for staging_name in export_columns() %}
        case when len(rejection_reasons) > 0 then {{ staging_name }}_raw end as {{ staging_name }}_raw,
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
        rejection_reasons,
    from reasoned
)

select * from final
