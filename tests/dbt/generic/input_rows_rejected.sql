{# Rejected input rows within the threshold: attached to stg_platform__user_profiles_rejected
   with severity warn, it returns the rejected rows (dbt counts the test in WARN=) and logs how
   many per reason and where they are. Above var `max_rejected_share`, or with no valid user, it
   returns nothing: input_accepted stops the build then, with its own message. #}
{% test input_rows_rejected(model, input_model) %}

{%- set max_rejected_share = var('max_rejected_share') %}

{%- set warned = false %}
{%- if execute and flags.WHICH in ('build', 'test') %}
    {%- set report = rejected_rows_report(input_model) %}
    {%- set warned = report.rejected_rows > 0 and report.rejected_rows < report.input_rows
        and report.share <= max_rejected_share %}
    {%- if warned %}
        {%- do exceptions.warn(
            user_profiles_input_label() ~ ": " ~ report.rejected_rows ~ " of " ~ report.input_rows
            ~ " input rows rejected (" ~ "%.1f" | format(report.share * 100) ~ "%, within max_rejected_share = "
            ~ max_rejected_share ~ "); per reason: " ~ report.per_reason ~ ". The build goes on without them. "
            ~ rejected_rows_location(model)
        ) %}
    {%- endif %}
{%- endif %}

select
    source_row_number,
    rejection_reason_list
from {{ model }}
where {{ 'true' if warned else 'false' }}

{% endtest %}
