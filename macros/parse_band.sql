{# An ordered band such as '25-34', '65+', '20k-40k' or '100k+' as numbers: lower bound, upper bound
   (null for an open band) and a representative midpoint, in units of `multiplier`
   (1 for years, 1000 for 'k'). An open band's midpoint is its lower bound plus half of
   `open_band_width`, the width of the bands below it. #}
{% macro parse_band(column, prefix, multiplier, open_band_width) %}
    {%- set lower_text = "replace(replace(" ~ dbt.split_part(column, "'-'", 1) ~ ", 'k', ''), '+', '')" -%}
    {%- set upper_text = "replace(" ~ dbt.split_part(column, "'-'", 2) ~ ", 'k', '')" -%}
    cast({{ lower_text }} as {{ type_double() }}) * {{ multiplier }} as {{ prefix }}_lower_bound,
    case
        when {{ column }} like '%+' then null
        else (cast({{ upper_text }} as {{ type_double() }})) * {{ multiplier }}
    end as {{ prefix }}_upper_bound,
    case
        when {{ column }} like '%+'
            then cast({{ lower_text }} as {{ type_double() }}) * {{ multiplier }} + {{ open_band_width / 2 }}
        else (
            cast({{ lower_text }} as {{ type_double() }})
            + cast({{ upper_text }} as {{ type_double() }})
        ) * {{ multiplier }} / 2
    end as {{ prefix }}_midpoint
{%- endmacro %}
