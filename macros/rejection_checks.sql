{# One SQL expression per row-level rule: the reason code when the rule is broken, else null.
   Codes: missing_<column> (blank), unknown_<column> (not in the vocabulary),
   unparseable_<column> (not a number), not_whole_<column> (a count with decimals),
   out_of_range_<column>. Blank top interests are valid (a user with no interests). #}
{% macro rejection_checks(vocabularies, numeric_rules) %}
    {% set checks = [] %}
    {% for column in vocabularies %}
        {% do checks.append(
            "case when " ~ column ~ "_text is null then 'missing_" ~ column ~ "'"
            ~ " when " ~ column ~ " is null then 'unknown_" ~ column ~ "' end"
        ) %}
    {% endfor %}
    {% for column, rule in numeric_rules.items() %}
        {% set number = column ~ "_number" %}
        {% set out_of_range = [] %}
        {% if rule.min is not none %}{% do out_of_range.append(number ~ " < " ~ rule.min) %}{% endif %}
        {% if rule.max is not none %}{% do out_of_range.append(number ~ " > " ~ rule.max) %}{% endif %}
        {% do checks.append(
            "case when " ~ column ~ "_text is null then 'missing_" ~ column ~ "'"
            ~ " when " ~ number ~ " is null or " ~ is_not_finite(number) ~ " then 'unparseable_" ~ column ~ "'"
            ~ (" when " ~ number ~ " <> floor(" ~ number ~ ") then 'not_whole_" ~ column ~ "'" if rule.whole else "")
            ~ (" when " ~ out_of_range | join(" or ") ~ " then 'out_of_range_" ~ column ~ "'" if out_of_range else "")
            ~ " end"
        ) %}
    {% endfor %}
    {{ return(checks) }}
{% endmacro %}
