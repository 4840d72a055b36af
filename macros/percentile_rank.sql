{# Window expression: a value's percentile rank within all rows, 0 (lowest) to 1 (highest):
   (rank - 1) / (rows - 1), ties sharing the lowest rank. Missing values get none and do not
   count in the ranking of the others. #}
{% macro percentile_rank(column) %}
    case
        when {{ column }} is not null
            then percent_rank() over (partition by {{ column }} is null order by {{ column }})
    end
{%- endmacro %}
