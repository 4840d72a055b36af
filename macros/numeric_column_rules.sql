{# The export's numeric columns (var catalogue, export_columns of type bigint or double): the
   range a valid value lies in (null: unbounded) and whether it must be a whole number. A value
   outside is quarantined, not clipped. #}
{% macro numeric_column_rules() %}
    {%- set rules = {} -%}
    {%- for column in var('catalogue')['export_columns'] if column['type'] in ('bigint', 'double') -%}
        {%- do rules.update({column['name']: {
            'min': column.get('min'),
            'max': column.get('max'),
            'whole': column['type'] == 'bigint',
            'type': column['type'],
        }}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{% endmacro %}
