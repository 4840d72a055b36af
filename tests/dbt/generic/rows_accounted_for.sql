{# Quarantine, never drop: every row of an input (`model`, keyed by column `row_key`, its input
   row number) is either used (in `used`, optionally only its rows matching `used_where`) or
   rejected (in `rejected`), never both, never neither, and nothing else appears in either; the
   row counts add up too (which also catches a row number the input holds twice). Returns one
   row per problem. Attached to the input row models of the export and of the campaign results,
   for staging and again for what the lift counts. #}
{% test rows_accounted_for(model, used, rejected, row_key='source_row_number', used_where=none) %}

with

input_rows as (
    select {{ row_key }} as row_key from {{ model }}
),

used_rows as (
    select {{ row_key }} as row_key from {{ used }}
    {%- if used_where %}
    where {{ used_where }}
    {%- endif %}
),

rejected_rows as (
    select {{ row_key }} as row_key from {{ rejected }}
),

accounted as (
    select row_key from used_rows
    union all
    select row_key from rejected_rows
),

appearances as (
    select
        row_key,
        count(*) as appearances
    from accounted
    group by 1
),

row_problems as (
    select
        coalesce(input_rows.row_key, appearances.row_key) as row_key,
        case
            when input_rows.row_key is null then 'output row that is not an input row'
            when appearances.row_key is null then 'input row neither used nor rejected'
            else 'input row in ' || cast(appearances.appearances as {{ dbt.type_string() }}) || ' outputs'
        end as problem
    from input_rows
    full outer join appearances
        on input_rows.row_key = appearances.row_key
    where
        input_rows.row_key is null
        or appearances.row_key is null
        or appearances.appearances <> 1
),

row_counts as (
    select
        (select count(*) from input_rows) as input_count,
        (select count(*) from used_rows) as used_count,
        (select count(*) from rejected_rows) as rejected_count
),

count_problems as (
    select
        cast(null as {{ dbt.type_bigint() }}) as row_key,
        'input rows ' || cast(input_count as {{ dbt.type_string() }})
        || ' <> used ' || cast(used_count as {{ dbt.type_string() }})
        || ' + rejected ' || cast(rejected_count as {{ dbt.type_string() }}) as problem
    from row_counts
    where input_count <> used_count + rejected_count
),

problems as (
    select * from row_problems
    union all
    select * from count_problems
)

select * from problems

{% endtest %}
