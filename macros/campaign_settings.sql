{# The campaign and publishing settings: every dbt var with its default in one place, so that
   models, Python model configs and the settings check read the same value whether or not the
   var is declared in dbt_project.yml. Folders default under $SEGMENTATION_BUILD_DIR (else
   build/), relative to the directory dbt runs in. #}
{% macro campaign_settings() %}
    {% set build_dir = env_var('SEGMENTATION_BUILD_DIR', 'build') %}
    {{ return({
        'min_segment_size': var('min_segment_size', 10),
        'audience_min_confidence': var('audience_min_confidence', 0),
        'audiences_dir': var('audiences_dir', build_dir ~ '/audiences'),
        'published_dir': var('published_dir', build_dir ~ '/published'),
        'published_versions_to_keep': var('published_versions_to_keep', 3),
        'interest_min_share_of_segment': var('interest_min_share_of_segment', 0.05),
        'interest_min_users': var('interest_min_users', 10),
        'schedule_index_margin': var('schedule_index_margin', 5),
        'histogram_bins': var('histogram_bins', 20),
    }) }}
{% endmacro %}
