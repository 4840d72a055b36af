{# The sweep's per-k records (JSON text, as int_segment_model_history stores them) as rows of a
   lateral table named `alias`. #}
{% macro unnest_sweep(json_column, alias) %}
    {{ return(adapter.dispatch('unnest_sweep', 'segmentation')(json_column, alias)) }}
{% endmacro %}

{% macro default__unnest_sweep(json_column, alias) %}
    {{ engine_not_supported('unnest_sweep') }}
{% endmacro %}

{% macro duckdb__unnest_sweep(json_column, alias) %}
    unnest(
        from_json(
            {{ json_column }},
            '[{"n_clusters": "INTEGER", "inertia": "DOUBLE", "silhouette": "DOUBLE",
               "calinski_harabasz": "DOUBLE", "davies_bouldin": "DOUBLE", "is_selected": "BOOLEAN"}]'
        )
    ) as sweep_records ({{ alias }})
{%- endmacro %}

{% macro spark__unnest_sweep(json_column, alias) %}
    lateral explode(
        from_json(
            {{ json_column }},
            'array<struct<n_clusters: int, inertia: double, silhouette: double,
                calinski_harabasz: double, davies_bouldin: double, is_selected: boolean>>'
        )
    ) as sweep_records ({{ alias }})
{%- endmacro %}
