{# The campaign and publishing settings (area campaigns of var settings_rules), as models, the
   build log and the settings check read them: the vars of dbt_project.yml, with an empty
   audiences_dir or published_dir under $SEGMENTATION_BUILD_DIR (else build/), relative to the
   directory dbt runs in. #}
{% macro campaign_settings() %}
    {{ return(area_settings('campaigns')) }}
{% endmacro %}
