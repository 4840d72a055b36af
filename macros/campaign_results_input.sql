{# Where a campaign's results are read from, as the export is (user_profiles_input): the table
   var campaign_results_source_table names (the source campaigns.results), the file
   campaign_results_path() names, or else the demo seed campaign_results_demo. #}
{% macro campaign_results_input() %}
    {% set path = campaign_results_path() %}
    {% if var('campaign_results_source_table') %}
        {{ return(source('campaigns', 'results')) }}
    {% elif path %}
        {{ return(adapter.dispatch('read_campaign_results_file', 'segmentation')(path)) }}
    {% else %}
        {{ return(ref('campaign_results_demo')) }}
    {% endif %}
{% endmacro %}


{# The results file: environment variable SEGMENTATION_CAMPAIGN_RESULTS_PATH, else var
   campaign_results_path; '' for a table or the demo seed. The environment variable is taken
   literally, as SEGMENTATION_USER_PROFILES_PATH is (dbt renders --vars, never an environment
   variable's value). #}
{% macro campaign_results_path() %}
    {% set from_env = env_var('SEGMENTATION_CAMPAIGN_RESULTS_PATH', '') %}
    {{ return(from_env if from_env else var('campaign_results_path')) }}
{% endmacro %}


{# How campaign_results_path() was set, for messages: the variable to change. #}
{% macro campaign_results_path_setting() %}
    {% if env_var('SEGMENTATION_CAMPAIGN_RESULTS_PATH', '') %}
        {{ return('environment variable SEGMENTATION_CAMPAIGN_RESULTS_PATH') }}
    {% endif %}
    {{ return('var campaign_results_path') }}
{% endmacro %}


{# The start of every message about the results input: what it is and the setting naming it. #}
{% macro campaign_results_input_label() %}
    {% if var('campaign_results_source_table') %}
        {% set table = source('campaigns', 'results') %}
        {{ return("Campaign results table " ~ table.schema ~ "." ~ table.identifier
            ~ " (vars campaign_results_source_schema, campaign_results_source_table)") }}
    {% elif campaign_results_path() %}
        {{ return("Campaign results file " ~ campaign_results_path() ~ " ("
            ~ campaign_results_path_setting() ~ ")") }}
    {% endif %}
    {{ return("The demo seed campaign_results_demo") }}
{% endmacro %}


{# The results columns: name -> whether a file must have it. revenue is optional: a campaign
   without revenue brings no such column, and every revenue is then null. #}
{% macro campaign_results_columns() %}
    {{ return({
        'user_id': true,
        'campaign_key': true,
        'exposed': true,
        'clicked': true,
        'converted': true,
        'revenue': false,
    }) }}
{% endmacro %}


{# The input's headers matched to campaign_results_columns() (spaces trimmed, any case):
   {'columns': {name: header as found}, 'missing': [required names not found]}. The seed's
   headers are known, so it is never queried: unit tests mock it without loading it. #}
{% macro map_campaign_results_columns() %}
    {% set expected = campaign_results_columns() %}
    {% if not execute %}
        {{ return({'columns': {}, 'missing': []}) }}
    {% endif %}
    {% if var('campaign_results_source_table') or campaign_results_path() %}
        {% set headers = run_query('describe select * from ' ~ campaign_results_input()).columns[0].values() | list %}
    {% else %}
        {% set headers = expected.keys() | list %}
    {% endif %}
    {% set columns = {} %}
    {% for header in headers %}
        {% set name = header | trim | lower %}
        {% if name in expected and name not in columns %}
            {% do columns.update({name: header}) %}
        {% endif %}
    {% endfor %}
    {% set missing = [] %}
    {% for name, required in expected.items() if required and name not in columns %}
        {% do missing.append(name) %}
    {% endfor %}
    {{ return({'columns': columns, 'missing': missing, 'headers': headers}) }}
{% endmacro %}


{# Every value is read as text: staging parses and checks it row by row. RFC 4180 quotes;
   short rows padded with blanks, so they are rejected rather than fail the read. #}
{% macro default__read_campaign_results_file(path) %}
    {{ exceptions.raise_compiler_error(
        "Reading a file (" ~ campaign_results_path_setting() ~ ") is only implemented for DuckDB "
        ~ "and Spark; load the results into a table and name it in var "
        ~ "campaign_results_source_table on " ~ target.type ~ " instead."
    ) }}
{% endmacro %}

{% macro duckdb__read_campaign_results_file(path) %}
    {%- if (path | lower).endswith('.parquet') -%}
        {{ return("read_parquet(" ~ sql_string_literal(path) ~ ")") }}
    {%- else -%}
        {{ return("read_csv(" ~ sql_string_literal(path)
            ~ ", all_varchar = true, header = true, null_padding = true, strict_mode = false"
            ~ ", quote = '\"', escape = '\"', parallel = false)") }}
    {%- endif -%}
{% endmacro %}

{#- Through a temporary view of this session, campaign_results_file, as the export is read
    (spark__read_user_profiles_file): every column as text, the header line's delimiter. -#}
{% macro spark__read_campaign_results_file(path) %}
    {%- if execute -%}
        {%- if (path | lower).endswith('.parquet') -%}
            {%- set options = "using parquet options (path " ~ sql_string_literal(path) ~ ")" -%}
        {%- else -%}
            {%- set options = "using csv options (path " ~ sql_string_literal(path)
                ~ ", header 'true', multiLine 'true', quote '\"', escape '\"', mode 'PERMISSIVE'"
                ~ ", sep " ~ sql_string_literal(spark_header_delimiter(path)) ~ ")" -%}
        {%- endif -%}
        {%- do run_query("create or replace temporary view campaign_results_file " ~ options) -%}
    {%- endif -%}
    {{ return('campaign_results_file') }}
{% endmacro %}
