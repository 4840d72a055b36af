{#- Every valid user assigned to the nearest centroid of the latest run, in the space the model
    was fitted in: numeric features scaled with the stored centre and scale, categories as 0/1
    columns. A category the stored model never saw has no centroid value: it counts as 0 for
    every centroid, so such a user is equally far from all of them on that feature. Scoring
    runs in SQL so that every user is scored, however many the model was fitted on. Only
    one-row relations are cross-joined, so there is one row per input row; that every valid
    user has exactly one segment is tested once, end to end, on fct_user_segments
    (assert_every_user_in_exactly_one_segment), not again on every table of the chain. -#}

{%- set model_columns = cluster_model_columns() -%}
{%- set centroid_values = [] -%}
{%- set user_values = [] -%}
{%- for column in model_columns -%}
    {%- do centroid_values.append(
        "coalesce(max(case when model_column = '" ~ column.name ~ "' then centroid_scaled end), 0)"
    ) -%}
    {%- if column.is_scaled -%}
        {%- do user_values.append(
            "(inputs." ~ column.name ~ " - scaling." ~ column.name ~ "__center) / scaling."
            ~ column.name ~ "__scale"
        ) -%}
    {%- else -%}
        {%- do user_values.append("inputs." ~ column.name) -%}
    {%- endif -%}
{%- endfor %}

with

inputs as (
    select * from {{ ref('int_user_cluster_inputs') }}
),

centroids as (
    select * from {{ ref('int_segment_centroids') }}
),

scaling as (
    select
        {%- for column in model_columns if column.is_scaled %}
        max(case when model_column = '{{ column.name }}' then center end) as {{ column.name }}__center,
        max(case when model_column = '{{ column.name }}' then scale end) as {{ column.name }}__scale,
        {%- endfor %}
        count(*) as centroid_values
    from centroids
),

centroid_vectors as (
    select
        segment_id,
        {{ list_literal(centroid_values) }} as centroid_vector
    from centroids
    group by 1
),

model as (
    select
        {{ ordered_list('centroid_vector', 'segment_id') }} as centroid_vectors,
        {{ ordered_list('segment_id', 'segment_id') }} as segment_ids
    from centroid_vectors
),

scaled as (
    select
        inputs.user_id,
        inputs.source_row_number,
        {{ list_literal(user_values) }} as user_vector
    from inputs
    cross join scaling
),

distances as (
    select
        scaled.user_id,
        scaled.source_row_number,
        model.segment_ids,
        {{ distances_to_centroids('model.centroid_vectors', 'scaled.user_vector') }} as centroid_distances
    from scaled
    cross join model
),

assigned as (
    select
        user_id,
        source_row_number,
        {{ list_element('segment_ids', nearest_centroid_index('centroid_distances') ~ ' + 1') }} as segment_id,
        {{ nearest_centroid_distance('centroid_distances', 1) }} as distance_to_centroid,
        {{ nearest_centroid_distance('centroid_distances', 2) }} as distance_to_second_centroid
    from distances
)

select * from assigned
