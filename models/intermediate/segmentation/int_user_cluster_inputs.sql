{{ config(materialized='view') }}

{#- The clustering's view of each user: the chosen numeric features (unscaled) and a 0/1 column
    per category of each chosen categorical feature
    (and per interest, with var interest_features). The samples taken from it
    (seeded_sample) come back in input-file order, as a notebook reading the file sees them. A numeric
    feature with no value (a ratio over zero) counts as 0.
    A view, not a table: a projection of int_user_features that its few readers (the fit
    sample, the run's fingerprint, the scoring) recompute for less than storing it would cost
    at millions of users. -#}

with

features as (
    select * from {{ ref('int_user_features') }}
),

encoded as (
    select
        user_id,
        source_row_number
        {%- for column in cluster_model_columns() %},
        {%- if column.is_scaled %}
        cast(coalesce({{ column.feature }}, 0) as {{ type_double() }}) as {{ column.name }}
        {%- elif column.feature == 'interest_names' %}
        case when {{ list_has('interest_names', sql_string_literal(column.value)) }} then 1.0 else 0.0 end
            as {{ column.name }}
        {%- else %}
        case when {{ column.feature }} = {{ sql_string_literal(column.value) }} then 1.0 else 0.0 end
            as {{ column.name }}
        {%- endif %}
        {%- endfor %}
    from features
)

select * from encoded
