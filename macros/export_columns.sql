{# The export's columns (var catalogue, export_columns), in the export's order: the staging name
   of each, and every header spelling we accept for it (its header, its staged name and its
   aliases, normalised). A header is matched after normalising it: lower case, surrounding whitespace trimmed,
   underscores and runs of spaces turned into one space, a UTF-8 byte-order mark dropped. #}
{% macro export_columns() %}
    {%- set columns = {} -%}
    {%- for column in var('catalogue')['export_columns'] -%}
        {%- set spellings = [] -%}
        {%- for spelling in [column['header'], column['name']] + column.get('aliases', []) -%}
            {%- if normalize_header(spelling) not in spellings -%}
                {%- do spellings.append(normalize_header(spelling)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do columns.update({column['name']: spellings}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}


{% macro normalize_header(name) %}
    {%- set cleaned = name | replace('\ufeff', '') | lower | replace('_', ' ') -%}
    {{ return(modules.re.sub('\\s+', ' ', cleaned).strip()) }}
{% endmacro %}


{# The header spelling of the platform's export, for messages. #}
{% macro export_header(staging_name) %}
    {%- for column in var('catalogue')['export_columns'] if column['name'] == staging_name -%}
        {{ return(column['header']) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("export_header: no export column is staged as " ~ staging_name) }}
{% endmacro %}
