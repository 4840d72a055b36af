{# The position (1 = first) of a column's value in its vocabulary (var vocabularies, keyed by the
   column's name); null for a value not in it. For an ordered band (age_band, income_band) this
   is its rank, 1 = the lowest. #}
{% macro vocabulary_position(column) %}
    case {{ column }}
        {%- for value in var('vocabularies')[column] %}
        when {{ sql_string_literal(value) }} then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}
