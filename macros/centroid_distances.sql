{# Nearest-centroid scoring on list columns. DuckDB does it with list functions in one pass,
   in parallel and out of core; another engine supplies its own implementations. #}

{% macro ordered_list(expression, order_by) %}
    {{ return(adapter.dispatch('ordered_list', 'segmentation')(expression, order_by)) }}
{% endmacro %}

{% macro default__ordered_list(expression, order_by) %}
    array_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{% macro duckdb__ordered_list(expression, order_by) %}
    list({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- Spark's array_agg takes no order: the values are sorted by their key as pairs. -#}
{% macro spark__ordered_list(expression, order_by) %}
    transform(
        array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'value', {{ expression }}))),
        entry -> entry.value
    )
{%- endmacro %}


{# The Euclidean distance from `vector` to each vector in `centroid_vectors`, in order. #}
{% macro distances_to_centroids(centroid_vectors, vector) %}
    {{ return(adapter.dispatch('distances_to_centroids', 'segmentation')(centroid_vectors, vector)) }}
{% endmacro %}

{% macro default__distances_to_centroids(centroid_vectors, vector) %}
    {{ engine_not_supported('distances_to_centroids') }}
{% endmacro %}

{% macro duckdb__distances_to_centroids(centroid_vectors, vector) %}
    list_transform({{ centroid_vectors }}, lambda centroid: list_distance(centroid, {{ vector }}))
{%- endmacro %}

{% macro spark__distances_to_centroids(centroid_vectors, vector) %}
    transform({{ centroid_vectors }}, centroid -> sqrt(aggregate(
        zip_with(centroid, {{ vector }}, (centroid_value, user_value) -> (centroid_value - user_value) * (centroid_value - user_value)),
        cast(0 as double),
        (total, term) -> total + term
    )))
{%- endmacro %}


{# 0-based index of the smallest distance (the first of equals). #}
{% macro nearest_centroid_index(distances) %}
    {{ return(adapter.dispatch('nearest_centroid_index', 'segmentation')(distances)) }}
{% endmacro %}

{% macro default__nearest_centroid_index(distances) %}
    {{ engine_not_supported('nearest_centroid_index') }}
{% endmacro %}

{% macro duckdb__nearest_centroid_index(distances) %}
    list_position({{ distances }}, list_min({{ distances }})) - 1
{%- endmacro %}

{% macro spark__nearest_centroid_index(distances) %}
    array_position({{ distances }}, array_min({{ distances }})) - 1
{%- endmacro %}


{# The n-th smallest distance (1: nearest); null when there are fewer than n centroids. #}
{% macro nearest_centroid_distance(distances, n) %}
    {{ return(adapter.dispatch('nearest_centroid_distance', 'segmentation')(distances, n)) }}
{% endmacro %}

{% macro default__nearest_centroid_distance(distances, n) %}
    {{ engine_not_supported('nearest_centroid_distance') }}
{% endmacro %}

{% macro duckdb__nearest_centroid_distance(distances, n) %}
    {%- set nearest_position = 'list_position(' ~ distances ~ ', list_min(' ~ distances ~ '))' -%}
    {%- if n == 1 -%}
    list_min({{ distances }})
    {%- elif n == 2 -%}
    {#- The smallest once the first smallest is taken out: the same as sorting and taking the
        second, without a sort per user (most of the scoring's time at millions of users). -#}
    list_min(list_concat(
        list_slice({{ distances }}, 1, {{ nearest_position }} - 1),
        list_slice({{ distances }}, {{ nearest_position }} + 1, len({{ distances }}))
    ))
    {%- else -%}
    list_sort({{ distances }})[{{ n }}]
    {%- endif -%}
{%- endmacro %}

{% macro spark__nearest_centroid_distance(distances, n) %}
    {%- if n == 1 -%}
    array_min({{ distances }})
    {%- else -%}
    try_element_at(array_sort({{ distances }}), {{ n }})
    {%- endif -%}
{%- endmacro %}


{# Whether list column `list_column` contains `value`. #}
{% macro list_has(list_column, value) %}
    {{ return(adapter.dispatch('list_has', 'segmentation')(list_column, value)) }}
{% endmacro %}

{% macro default__list_has(list_column, value) %}
    {{ engine_not_supported('list_has') }}
{% endmacro %}

{% macro duckdb__list_has(list_column, value) %}
    list_contains({{ list_column }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list_column, value) %}
    array_contains({{ list_column }}, {{ value }})
{%- endmacro %}
