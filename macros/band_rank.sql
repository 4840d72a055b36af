{# The position (1 = lowest) of an ordered band in its vocabulary (var vocabularies). #}
{% macro band_rank(column) %}
    case {{ column }}
        {%- for value in var('vocabularies')[column] %}
        when {{ sql_string_literal(value) }} then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}
