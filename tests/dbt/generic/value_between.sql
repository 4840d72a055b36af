{# Fails on every non-null value outside [min_value, max_value]; either bound may be left out.
   Nulls pass: pair with not_null where a value is required. #}
{% test value_between(model, column_name, min_value=none, max_value=none) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        "value_between on " ~ model ~ "." ~ column_name ~ ": give min_value, max_value or both"
    ) }}
{%- endif %}

with

checked as (
    select {{ column_name }} as checked_value
    from {{ model }}
    where {{ column_name }} is not null
),

out_of_range as (
    select *
    from checked
    where
        false
        {%- if min_value is not none %}
        or checked_value < {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or checked_value > {{ max_value }}
        {%- endif %}
)

select * from out_of_range

{% endtest %}
