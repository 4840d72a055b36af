{# Fails on every combination of `combination_of_columns` that occurs on more than one row:
   the primary key test of a table keyed by several columns (dbt-utils'
   unique_combination_of_columns, without the package: same name and arguments, so tools that
   recognise its primary-key test, such as dbt-project-evaluator, recognise this one). #}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

combinations as (
    select
        {%- for column in combination_of_columns %}
        {{ column }},
        {%- endfor %}
        count(*) as occurrences
    from {{ model }}
    group by {% for column in combination_of_columns %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
),

duplicated as (
    select * from combinations
    where occurrences > 1
)

select * from duplicated

{% endtest %}
