{# Fails on every row that differs between a published copy and its mart, both ways: `floor`
   'none' (a whole copy), 'drop' (the rows of segments below the privacy floor left out) or
   'mask' (rows of such segments not compared here; privacy_floor_applied checks them). #}
{% test published_copy_of(model, mart, floor) %}

{%- if floor not in ['none', 'drop', 'mask'] %}
    {{ exceptions.raise_compiler_error("published_copy_of: floor must be none, drop or mask, not " ~ floor) }}
{%- endif %}

with

segments as (
    select * from {{ ref('dim_segments') }}
),

below_floor as (
    select segment_id from segments
    where is_below_privacy_floor
),

source_rows as (
    select * from {{ mart }}
    {%- if floor != 'none' %}
    where segment_id not in (select segment_id from below_floor)
    {%- endif %}
),

published_rows as (
    select * from {{ model }}
    {%- if floor == 'mask' %}
    where not is_below_privacy_floor
    {%- endif %}
),

only_in_source as (
    select * from source_rows
    except all
    select * from published_rows
),

only_published as (
    select * from published_rows
    except all
    select * from source_rows
),

differences as (
    select 'only in the mart' as difference, * from only_in_source
    union all
    select 'only in the published copy' as difference, * from only_published
)

select * from differences

{% endtest %}
