{# post-hook of dim_rule_segments: a rule segment no user matches is most likely a condition
   that is too strict or contradictory. It is reported as a warning, naming the segments, and
   kept (with 0 users) rather than failing the build: on a small or unusual input an empty
   segment can be right. #}
{% macro warn_empty_rule_segments(relation) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set empty = run_query(
        "select rule_segment_name, rule_segment_id from " ~ relation
        ~ " where users = 0 order by rule_segment_position"
    ) %}
    {% if empty.rows | length > 0 %}
        {% set names = [] %}
        {% for row in empty.rows %}
            {% do names.append("'" ~ row[0] ~ "' (" ~ row[1] ~ ")") %}
        {% endfor %}
        {{ exceptions.warn(
            (names | length) ~ " rule segment(s) match no user: " ~ names | join(', ')
            ~ ". Check their conditions in " ~ var('rule_segments_path') ~ "."
        ) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
