{# post-hook of base_platform__user_profiles (a view): how many input rows were rejected, per reason.
   Above var max_rejected_share the build stops here, before any model reads the rows;
   at or below it, the same counts are logged as a warning. #}
{% macro check_rejected_share(relation) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set totals = run_query(
        "select count(*), count(*) filter (where len(rejection_reasons) > 0) from " ~ relation
    ) %}
    {% set input_rows = totals.columns[0].values()[0] %}
    {% set rejected_rows = totals.columns[1].values()[0] %}
    {% if rejected_rows == 0 %}
        {{ return('') }}
    {% endif %}

    {% set per_reason = run_query(
        "select reason, count(*) as rows from (select unnest(rejection_reasons) as reason from "
        ~ relation ~ " where len(rejection_reasons) > 0) group by 1 order by 2 desc, 1"
    ) %}
    {% set counts = [] %}
    {% for row in per_reason.rows %}
        {% do counts.append(row[0] ~ ": " ~ row[1]) %}
    {% endfor %}
    {% set share = rejected_rows / input_rows %}
    {% set threshold = var('max_rejected_share') %}
    {% set message = rejected_rows ~ " of " ~ input_rows ~ " input rows rejected ("
        ~ "%.1f" | format(share * 100) ~ "%); per reason: " ~ counts | join(', ')
        ~ ". The rows and their reasons are in stg_platform__user_profiles_rejected." %}
    {% if share > threshold %}
        {{ exceptions.raise_compiler_error(
            message ~ " That is above max_rejected_share = " ~ threshold
            ~ ": fix the input, or raise the threshold, e.g. --vars '{max_rejected_share: 0.5}'."
        ) }}
    {% else %}
        {{ exceptions.warn(message) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
