{# Attached to int_segmentation_run, before anything is fitted: stops the build, with one
   message, when the valid users cannot hold the segments asked for. A segmentation needs more
   users than segments (the silhouette that judges it is undefined otherwise), counting the users
   the fit and the quality figures are taken on: at most var fit_sample_size and
   quality_sample_size. A fixed n_clusters must be below that; with n_clusters: auto the
   smallest candidate of n_clusters_range must be (larger candidates are skipped). Skipped in
   `dbt build` when the gate of the valid users (input_accepted) has already stopped it, and
   with no users at all (only `dbt build --empty`). #}
{% test segments_fit_users(model) %}

{%- if execute and flags.WHICH in ('build', 'test') %}
    {%- set valid_users = run_query("select input_rows from " ~ model).columns[0].values()[0] %}
    {%- set usable = [valid_users, var('fit_sample_size'), var('quality_sample_size')] | min %}
    {%- set n_clusters = var('n_clusters') %}
    {%- set k_range = var('n_clusters_range') %}
    {%- set smallest = k_range[0] if n_clusters == 'auto' else n_clusters %}
    {%- if valid_users > 0 and smallest >= usable %}
        {%- if usable == valid_users %}
            {%- set users = "the input has " ~ valid_users ~ " valid users" %}
        {%- else %}
            {%- set users = "the fit and quality samples hold " ~ usable ~ " users (vars fit_sample_size = "
                ~ var('fit_sample_size') ~ ", quality_sample_size = " ~ var('quality_sample_size') ~ ")" %}
        {%- endif %}
        {%- if n_clusters == 'auto' %}
            {%- set asked = "n_clusters: auto with n_clusters_range " ~ k_range | list
                ~ " asks for at least " ~ smallest ~ " segments" %}
            {%- set remedy = "Lower n_clusters_range to at most [2, " ~ (usable - 1) ~ "]" %}
        {%- else %}
            {%- set asked = "n_clusters = " ~ n_clusters ~ " asks for " ~ n_clusters ~ " segments" %}
            {%- set remedy = "Lower n_clusters to at most " ~ (usable - 1) %}
        {%- endif %}
        {{ exceptions.raise_compiler_error(
            asked ~ ", but " ~ users ~ ": a segmentation needs more users than segments. "
            ~ (remedy if usable > 2 else "Supply more valid users") ~ ". Nothing was fitted."
        ) }}
    {%- endif %}
{%- endif %}

select 1 as failure
where false

{% endtest %}
