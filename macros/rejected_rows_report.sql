{# What the build says about rejected input rows: the gate of the valid users (test
   input_accepted), the warning below the threshold (test input_rows_rejected) and the summary of
   `make build` all describe them the same way, from base_platform__user_profiles. #}


{# Counts of the input rows of `relation` (base_platform__user_profiles): a dict with
   input_rows, rejected_rows, share (0 when there are no rows) and per_reason, the rejected
   rows per reason code as one text ('missing_gender: 2, unknown_age_band: 1'), most first. #}
{% macro rejected_rows_report(relation) %}
    {% set is_rejected = list_length('rejection_reasons') ~ " > 0" %}
    {% set totals = run_query(
        "select count(*), count(case when " ~ is_rejected ~ " then 1 end) from " ~ relation
    ) %}
    {% set input_rows = totals.columns[0].values()[0] %}
    {% set rejected_rows = totals.columns[1].values()[0] %}
    {% set counts = [] %}
    {% if rejected_rows > 0 %}
        {% set per_reason = run_query(
            "select reason, count(*) as reason_rows from (select " ~ unnest_list('rejection_reasons')
            ~ " as reason from " ~ relation ~ " where " ~ is_rejected ~ ") as reasons"
            ~ " group by 1 order by 2 desc, 1"
        ) %}
        {% for row in per_reason.rows %}
            {% do counts.append(row[0] ~ ": " ~ row[1]) %}
        {% endfor %}
    {% endif %}
    {{ return({
        'input_rows': input_rows,
        'rejected_rows': rejected_rows,
        'share': (rejected_rows / input_rows) if input_rows else 0,
        'per_reason': counts | join(', '),
    }) }}
{% endmacro %}


{# Where the input came from, for messages: the source table and the vars that name it, the
   file and the setting that named it, or the seed. #}
{% macro user_profiles_input_label() %}
    {% if var('user_profiles_source_table') %}
        {% set table = source('platform', 'user_profiles') %}
        {{ return("Source table " ~ table.schema ~ "." ~ table.identifier
            ~ " (vars user_profiles_source_schema, user_profiles_source_table)") }}
    {% elif user_profiles_path() %}
        {{ return(user_profiles_file_label()) }}
    {% endif %}
    {{ return("The demo seed user_profiles_demo") }}
{% endmacro %}


{# Where the rejected rows can be read once the build has stopped: the warehouse file, the
   relation and a command that shows them. `relation` is one in the same schema as
   stg_platform__user_profiles_rejected (the model a test is attached to). #}
{% macro rejected_rows_location(relation) %}
    {{ return(adapter.dispatch('rejected_rows_location', 'segmentation')(relation)) }}
{% endmacro %}

{% macro default__rejected_rows_location(relation) %}
    {% set rejected = relation.schema ~ ".stg_platform__user_profiles_rejected" %}
    {{ return(
        "The rejected rows and their reasons are in relation " ~ rejected ~ ": select * from "
        ~ rejected ~ "."
    ) }}
{% endmacro %}

{% macro duckdb__rejected_rows_location(relation) %}
    {% set warehouse = run_query(
        "select path from duckdb_databases() where database_name = current_database()"
    ).columns[0].values()[0] %}
    {% set rejected = relation.schema ~ ".stg_platform__user_profiles_rejected" %}
    {{ return(
        "The rejected rows and their reasons are in the warehouse " ~ warehouse ~ ", relation "
        ~ rejected ~ ": duckdb -readonly '" ~ warehouse ~ "' \"from " ~ rejected ~ "\"."
    ) }}
{% endmacro %}
