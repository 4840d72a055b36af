{# The privacy floor as published (README "Publishing for BI"): the columns of a
   one-row-per-segment mart that a segment below var min_segment_size
   (dim_segments.is_below_privacy_floor) is published without. What could single out its
   members: its modal traits and their shares, its medians, its age and income figures, the
   text written from them, and its device and interest targets. Its size, shares and the
   averages of behaviour metrics stay. Derived from the profile metrics and traits, so a new
   metric's median is withheld without an edit here. #}
{% macro privacy_floor_withheld_columns(mart) %}
    {%- set withheld = [] -%}
    {%- if mart == 'dim_segments' -%}
        {%- do withheld.extend(['description', 'persona_rule']) -%}
        {%- for trait in profile_traits() -%}
            {%- do withheld.extend(['modal_' ~ trait, 'modal_' ~ trait ~ '_share']) -%}
        {%- endfor -%}
        {%- for metric in profile_metrics() -%}
            {%- do withheld.append('median_' ~ metric) -%}
        {%- endfor -%}
        {%- for metric in ['age_midpoint_years', 'income_midpoint_usd'] -%}
            {%- do withheld.extend(['avg_' ~ metric, metric ~ '_index']) -%}
        {%- endfor -%}
    {%- elif mart == 'rpt_segment_recommendations' -%}
        {%- do withheld.extend([
            'target_device_usage', 'target_device_usage_share', 'target_device_usage_index',
            'top_interest_1', 'top_interest_2', 'top_interest_3', 'top_interests',
            'top_interest_1_lift', 'top_interest_2_lift', 'top_interest_3_lift',
            'recommendation',
        ]) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "privacy_floor_withheld_columns: no privacy floor is defined for " ~ mart) }}
    {%- endif -%}
    {{ return(withheld) }}
{% endmacro %}


{# The select list of the published copy of `mart` (a one-row-per-segment mart with
   segment_id, segment_name and is_below_privacy_floor): every column of the copy's contract
   (the mart's columns: its YAML shares their list) in order, a withheld one null and the name
   "Segment <id>" for a segment below the floor. Fails the compile if a withheld column is not
   among them, so a renamed column cannot slip through unmasked. #}
{% macro privacy_floor_select(mart) %}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set withheld = privacy_floor_withheld_columns(mart) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- A unit test's node lists no columns; dbt needs the mart built to run one anyway. -#}
        {%- set built = adapter.get_relation(target.database, target.schema, mart) -%}
        {%- set columns = adapter.get_columns_in_relation(built) | map(attribute='name') | list -%}
    {%- else -%}
        {%- set columns = model.columns.keys() | list -%}
    {%- endif -%}
    {%- for column in withheld if column not in columns -%}
        {{ exceptions.raise_compiler_error(
            "privacy_floor_select: " ~ mart ~ " has no column " ~ column ~ " to withhold") }}
    {%- endfor -%}
    {%- for column in columns %}
    {%- if column == 'segment_name' %}
    case
        when is_below_privacy_floor then 'Segment ' || cast(segment_id as {{ dbt.type_string() }})
        else segment_name
    end as segment_name
    {%- elif column in withheld %}
    case when is_below_privacy_floor then null else {{ column }} end as {{ column }}
    {%- else %}
    {{ column }}
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
