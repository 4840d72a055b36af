{# Matches the input's header to the export's columns.
   Returns {'columns': {staging_name: header as found}, 'missing': [...], 'extra': [...]}. #}
{% macro map_export_columns(found_headers) %}
    {% set accepted = export_columns() %}
    {% set by_spelling = {} %}
    {% for staging_name, spellings in accepted.items() %}
        {% do by_spelling.update({staging_name | replace('_', ' '): staging_name}) %}
        {% for spelling in spellings %}
            {% do by_spelling.update({spelling: staging_name}) %}
        {% endfor %}
    {% endfor %}

    {% set columns = {} %}
    {% set extra = [] %}
    {% for header in found_headers %}
        {% set staging_name = by_spelling.get(normalize_header(header)) %}
        {% if staging_name and staging_name not in columns %}
            {% do columns.update({staging_name: header}) %}
        {% else %}
            {% do extra.append(header) %}
        {% endif %}
    {% endfor %}

    {% set missing = [] %}
    {% for staging_name in accepted %}
        {% if staging_name not in columns %}
            {% do missing.append(staging_name) %}
        {% endif %}
    {% endfor %}
    {{ return({'columns': columns, 'missing': missing, 'extra': extra}) }}
{% endmacro %}


{# The header of the input, as DuckDB reads it. Only at execution time. #}
{% macro user_profiles_input_headers() %}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set described = run_query('describe select * from ' ~ user_profiles_input()) %}
    {{ return(described.columns[0].values() | list) }}
{% endmacro %}
