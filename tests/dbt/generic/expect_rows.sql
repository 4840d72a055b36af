{# Every row of the model meets every condition: one scan of the model for what used to be a
   not_null or value_between test per column. `conditions` are SQL boolean expressions over the
   model's columns, written in the YAML (never user input), e.g.
   ["segment_id is not null", "share between 0 and 1", "users >= 1"].
   A row fails on a condition that is false; like a SQL CHECK constraint, a condition that is
   null passes, so "share between 0 and 1" lets a null share through (pair it with
   "share is not null" where a value is required). Returns each failing row with the first
   condition it breaks in `failed_condition`. #}
{% test expect_rows(model, conditions) %}

{%- if conditions is string or conditions | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "expect_rows on " ~ model ~ ": give `conditions` as a non-empty list of SQL expressions"
    ) }}
{%- endif %}

with

checked as (
    select
        case
            {%- for condition in conditions %}
            when not ({{ condition }}) then '{{ condition | replace("'", "''") }}'
            {%- endfor %}
        end as failed_condition,
        *
    from {{ model }}
),

failures as (
    select * from checked
    where failed_condition is not null
)

select * from failures

{% endtest %}
