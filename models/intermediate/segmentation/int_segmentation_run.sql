{#- This build's run: its id (dbt's invocation id), when it started, what it read, its settings. -#}

{%- set settings = {} -%}
{%- for name in segmentation_setting_names() -%}
    {%- do settings.update({name: var(name)}) -%}
{%- endfor -%}

with

inputs as (
    select * from {{ ref('int_user_cluster_inputs') }}
),

input_summary as (
    select
        count(*) as input_rows,
        {{ rows_fingerprint(['user_id'] + cluster_model_column_names()) }} as input_fingerprint
    from inputs
),

run as (
    select
        '{{ invocation_id }}' as run_id,
        {{ sql_string_literal(tojson(settings, sort_keys=true)) }} as settings_json,
        input_summary.input_fingerprint,
        input_summary.input_rows,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as run_started_at
    from input_summary
)

select * from run
