{# The list of positions of the rule segments a user meets, as one SQL expression over the
   profile's columns: the conditions that int_rule_segments_defined compiled from the
   definitions file, read from that table when the model runs (dbt compiles a node just before
   it runs, after the tables it refs). Every condition is evaluated in the one scan of the
   profile; the list keeps file order. Before the definitions exist (parse, or sqlfluff's
   compile after only `dbt seed`) it is the list of no segment. #}
{% macro rule_segment_positions(definitions) %}
    {% set positions = [] %}
    {% set conditions = [] %}
    {% if execute and load_relation(definitions) is not none %}
        {% set rows = run_query(
            "select rule_segment_position, condition_sql from " ~ definitions
            ~ " order by rule_segment_position"
        ).rows %}
        {% for row in rows %}
            {% do positions.append(row[0] | int) %}
            {% do conditions.append(row[1]) %}
        {% endfor %}
    {% endif %}
    {{ return(list_positions_where(positions, conditions)) }}
{% endmacro %}
