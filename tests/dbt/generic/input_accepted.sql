{# The gate of the valid users (attached to stg_platform__user_profiles, so in `dbt build` its
   failure skips everything built from them): stops the build, with one message, when there is
   no valid user or when more than var `max_rejected_share` of the input rows are rejected. It
   depends on `input_model` (base_platform__user_profiles) only, never on the quarantine, so
   stg_platform__user_profiles_rejected is still built and can be queried after the stop; the
   message says where. An input of no rows at all (only `dbt build --empty`) passes. #}
{% test input_accepted(model, input_model) %}

{%- set max_rejected_share = var('max_rejected_share') %}

{%- if execute and flags.WHICH in ('build', 'test') %}
    {%- set report = rejected_rows_report(input_model) %}
    {%- set valid_rows = report.input_rows - report.rejected_rows %}
    {%- if report.input_rows > 0 and (valid_rows == 0 or report.share > max_rejected_share) %}
        {%- if valid_rows == 0 %}
            {%- set problem = "no valid users: all " ~ report.input_rows ~ " input rows were rejected"
                ~ (" (100%, above max_rejected_share = " ~ max_rejected_share ~ ")"
                    if report.share > max_rejected_share else "") %}
            {%- set remedy = "Fix the input" %}
        {%- else %}
            {%- set problem = report.rejected_rows ~ " of " ~ report.input_rows ~ " input rows were rejected ("
                ~ "%.1f" | format(report.share * 100) ~ "%), above max_rejected_share = " ~ max_rejected_share %}
            {%- set remedy = "Fix the input, or raise the threshold, e.g. --vars '{max_rejected_share: "
                ~ ((report.share * 100) | round(0, 'ceil') / 100) ~ "}'" %}
        {%- endif %}
        {{ exceptions.raise_compiler_error(
            user_profiles_input_label() ~ ": " ~ problem ~ "; per reason: " ~ report.per_reason
            ~ ". The build stopped before anything downstream of the valid users. " ~ rejected_rows_location(model)
            ~ " " ~ remedy ~ "."
        ) }}
    {%- endif %}
{%- endif %}

select 1 as failure
where false

{% endtest %}
