{# The domain catalogue (var `catalogue` in dbt_project.yml) as the lists SQL iterates over.
   Every list of metrics, traits or export columns in the project is read from it here, so
   that a metric is added in one place (README "Adding a metric"). #}

{# The names of the catalogue's metrics, in catalogue order; with `flag`, only those whose
   entry sets it (profiled, percentile_ranked, histogram). #}
{% macro catalogue_metrics(flag=none) %}
    {%- set names = [] -%}
    {%- for metric in var('catalogue')['metrics'] -%}
        {%- if flag is none or metric.get(flag) -%}
            {%- do names.append(metric['name']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{# What a segment profile describes: the numeric metrics (mean, median, index). #}
{% macro profile_metrics() %}
    {{ return(catalogue_metrics('profiled')) }}
{% endmacro %}

{# ... and the categorical traits (modal value and its share). #}
{% macro profile_traits() %}
    {{ return(var('catalogue')['traits'] | map(attribute='name') | list) }}
{% endmacro %}

{# The behaviour metrics a user profile ranks within the population (column <metric>_percentile). #}
{% macro percentile_ranked_metrics() %}
    {{ return(catalogue_metrics('percentile_ranked')) }}
{% endmacro %}

{# The numeric columns of int_user_features that clustering may use: every metric. #}
{% macro numeric_feature_names() %}
    {{ return(catalogue_metrics()) }}
{% endmacro %}

