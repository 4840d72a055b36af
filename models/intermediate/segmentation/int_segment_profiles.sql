{#- One row per segment: size, mean and median of every profile metric with its index against
    the whole population (100 = average), and the modal value of every trait with its share. -#}

with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

features as (
    select * from {{ ref('int_user_features') }}
),

assigned_features as (
    select
        assignments.segment_id,
        features.*,
    from features
    inner join assignments
        on features.user_id = assignments.user_id
),

profiles as (
    {{ profile_groups('assigned_features', 'assigned_features', 'segment_id') }}
)

select * from profiles
