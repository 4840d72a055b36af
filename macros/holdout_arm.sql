{# The arm of a holdout share (macro holdout_share): `control` for the first
   `control_share` of shares (default: var holdout_control_share), else `treatment`; as
   segmentation.holdouts.arm. The share ignores the segment, so every segment's control share
   is the same up to chance. #}
{% macro holdout_arm(share, control_share=none) %}
    {%- set control_share = campaign_settings()['holdout_control_share'] if control_share is none else control_share -%}
    case when {{ share }} < {{ control_share }} then 'control' else 'treatment' end
{%- endmacro %}
