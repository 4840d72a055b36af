{# An ordered band such as '25-34', '65+', '20k-40k' or '100k+' as numbers: lower bound, upper bound
   (null for an open band) and a representative midpoint, in units of `multiplier`
   (1 for years, 1000 for 'k'). An open band's midpoint is its lower bound plus half of
   `open_band_width`, the width of the bands below it. The bands are those of the column's
   vocabulary (var vocabularies, the only values staging lets through), parsed here at compile
   time: each row then costs one `case` per number instead of splitting and casting text
   (three reads of ten million rows paid that each time). A value outside the vocabulary
   gives nulls. #}
{% macro parse_band(column, prefix, multiplier, open_band_width) %}
    {%- set bounds = [] -%}
    {%- for band in var('vocabularies')[column] -%}
        {%- set parts = band.replace('k', '').replace('+', '').split('-') -%}
        {%- set lower = (parts[0] | float) * multiplier -%}
        {%- set upper = none if band.endswith('+') else (parts[1] | float) * multiplier -%}
        {%- do bounds.append({
            'band': band,
            'lower_bound': lower,
            'upper_bound': upper,
            'midpoint': lower + open_band_width / 2 if upper is none else (lower + upper) / 2,
        }) -%}
    {%- endfor -%}
    {%- for name in ['lower_bound', 'upper_bound', 'midpoint'] %}
    cast(case {{ column }}
        {%- for bound in bounds %}
        when {{ sql_string_literal(bound.band) }} then {{ 'null' if bound[name] is none else bound[name] }}
        {%- endfor %}
    end as {{ type_double() }}) as {{ prefix }}_{{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
