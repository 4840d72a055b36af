with

assignments as (
    select * from {{ ref('int_user_segment_assignments') }}
),

personas as (
    select * from {{ ref('int_segment_personas') }}
),

user_segments as (
    select
        assignments.user_id,
        assignments.segment_id,
        personas.segment_name,
        assignments.distance_to_centroid,
        assignments.distance_to_second_centroid,
        {#- 1 at the segment's centre, 0 on the boundary with the next-nearest segment. -#}
        coalesce(
            1 - {{ safe_divide('assignments.distance_to_centroid', 'assignments.distance_to_second_centroid') }},
            1
        ) as assignment_confidence
    from assignments
    inner join personas
        on assignments.segment_id = personas.segment_id
)

select * from user_segments
