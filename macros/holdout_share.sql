{# A (campaign, user) pair's share in [0, 1): md5_share of '<campaign_key>:<user_id>' with seed
   0, exactly segmentation.holdouts.holdout_share in Python. MD5 rather than an engine's own hash
   or random function, so that DuckDB, Spark and the generator put every user in the same arm.
   The seed is fixed (not var random_seed): a clustering setting must never reshuffle the arms
   of a running campaign. #}
{% macro holdout_share(campaign_key, user_id) %}
    {{- md5_share('concat(' ~ campaign_key ~ ", ':', " ~ user_id ~ ')', 0) -}}
{% endmacro %}
