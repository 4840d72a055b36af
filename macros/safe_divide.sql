{# numerator / denominator, null where the denominator is zero or null. #}
{% macro safe_divide(numerator, denominator) %}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
