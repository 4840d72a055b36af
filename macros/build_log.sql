{# The build log: one row per dbt command that changes the warehouse (build, run, seed,
   snapshot), written when it starts (status 'running') and completed when it ends. Publishing
   (python -m segmentation.publish) reads the latest row and publishes only the warehouse of a
   complete `dbt build` whose every node succeeded: a failed, partial, empty or interrupted
   command (a killed one never reaches on-run-end, so its row stays 'running') publishes
   nothing. Kept across --full-refresh, like the run history; it is not a model because hooks
   write it. #}

{% macro build_log_relation() %}
    {#- Spark has no database above its schemas. -#}
    {% set database = target.database if target.database is defined else none %}
    {{ return(api.Relation.create(database=database, schema=target.schema, identifier='segmentation_build_log')) }}
{% endmacro %}


{% macro logs_this_command() %}
    {{ return(execute and flags.WHICH in ('build', 'run', 'seed', 'snapshot')) }}
{% endmacro %}


{# on-run-start, after the settings checks: a command that got this far changes the warehouse. #}
{% macro record_build_start() %}
    {% if not logs_this_command() %}
        {{ return('') }}
    {% endif %}
    {% set relation = build_log_relation() %}
    {#- Before any model: on Spark the schema may not exist yet. -#}
    {% do adapter.create_schema(relation) %}
    {#- The whole campaigns area, which publishing checks again with CampaignSettings. -#}
    {% set publishing = campaign_settings() %}
    {% do run_query(
        "create table if not exists " ~ relation ~ " ("
        ~ " invocation_id " ~ dbt.type_string() ~ ","
        ~ " command " ~ dbt.type_string() ~ ","
        ~ " started_at " ~ dbt.type_timestamp() ~ ","
        ~ " finished_at " ~ dbt.type_timestamp() ~ ","
        ~ " status " ~ dbt.type_string() ~ ","
        ~ " nodes " ~ dbt.type_int() ~ ","
        ~ " failed_nodes " ~ dbt.type_int() ~ ","
        ~ " skipped_nodes " ~ dbt.type_int() ~ ","
        ~ " failures " ~ dbt.type_string() ~ ","
        ~ " is_full_build " ~ dbt.type_boolean() ~ ","
        ~ " is_empty " ~ dbt.type_boolean() ~ ","
        ~ " publish_settings_json " ~ dbt.type_string()
        ~ ")"
    ) %}
    {% do run_query(
        "insert into " ~ relation
        ~ " (invocation_id, command, started_at, status, is_empty, publish_settings_json) values ("
        ~ sql_string_literal(invocation_id) ~ ", "
        ~ sql_string_literal(flags.WHICH) ~ ", "
        ~ "cast(" ~ sql_string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) ~ " as " ~ dbt.type_timestamp() ~ "), "
        ~ "'running', "
        ~ ('true' if flags.EMPTY else 'false') ~ ", "
        ~ sql_string_literal(tojson(publishing, sort_keys=true)) ~ ")"
    ) %}
    {{ return('') }}
{% endmacro %}


{# on-run-end: the outcome of every node. A full build ran every enabled model and data test of
    the project; unit tests may be left out (`make build` does: they check logic, not data). #}
{% macro record_build_end(results) %}
    {% if not logs_this_command() %}
        {{ return('') }}
    {% endif %}
    {% set failures = [] %}
    {% set skipped = [] %}
    {% set ran = [] %}
    {% for result in results %}
        {% do ran.append(result.node.unique_id) %}
        {% if result.status | string == 'skipped' %}
            {% do skipped.append(result.node.name) %}
        {% elif result.status | string not in ('success', 'pass', 'warn', 'no-op') %}
            {% do failures.append(result.node.name ~ ' (' ~ result.status ~ ')') %}
        {% endif %}
    {% endfor %}
    {% set missing = [] %}
    {% for node in graph.nodes.values() %}
        {% if node.resource_type in ('model', 'test') and node.config.enabled and node.unique_id not in ran %}
            {% do missing.append(node.name) %}
        {% endif %}
    {% endfor %}
    {% do run_query(complete_build_log_row(build_log_relation(), {
        'finished_at': "cast(" ~ sql_string_literal(modules.datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M:%S.%f')) ~ " as " ~ dbt.type_timestamp() ~ ")",
        'status': "'failed'" if failures or skipped else "'success'",
        'nodes': results | length,
        'failed_nodes': failures | length,
        'skipped_nodes': skipped | length,
        'failures': sql_string_literal(failures[:20] | join('; ')),
        'is_full_build': 'false' if missing else 'true',
    })) %}
    {{ return('') }}
{% endmacro %}


{# SQL completing this command's row of the build log with `values` (column: SQL expression). #}
{% macro complete_build_log_row(relation, values) %}
    {{ return(adapter.dispatch('complete_build_log_row', 'segmentation')(relation, values)) }}
{% endmacro %}

{% macro default__complete_build_log_row(relation, values) %}
    {%- set assignments = [] -%}
    {%- for column, value in values.items() -%}
        {%- do assignments.append(column ~ " = " ~ value) -%}
    {%- endfor -%}
    {{ return("update " ~ relation ~ " set " ~ assignments | join(", ")
        ~ " where invocation_id = " ~ sql_string_literal(invocation_id)) }}
{% endmacro %}

{% macro duckdb__complete_build_log_row(relation, values) %}
    {{ return(default__complete_build_log_row(relation, values)) }}
{% endmacro %}

{#- A Parquet table takes no update: the completed row is added beside the 'running' one (the
    latest row of a command is the one with finished_at). -#}
{% macro spark__complete_build_log_row(relation, values) %}
    {%- set kept = ['invocation_id', 'command', 'started_at', 'is_empty', 'publish_settings_json'] -%}
    {{ return("insert into " ~ relation ~ " (" ~ (kept + values.keys() | list) | join(", ") ~ ")"
        ~ " select " ~ (kept + values.values() | map('string') | list) | join(", ")
        ~ " from " ~ relation
        ~ " where invocation_id = " ~ sql_string_literal(invocation_id) ~ " and status = 'running'") }}
{% endmacro %}
