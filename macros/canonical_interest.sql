{# An interest as the known spelling (var interests), matched case-insensitively; otherwise as given. #}
{% macro canonical_interest(column) %}
    case lower({{ column }})
        {%- for interest in var('interests') %}
        when {{ sql_string_literal(interest | lower) }} then {{ sql_string_literal(interest) }}
        {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}
