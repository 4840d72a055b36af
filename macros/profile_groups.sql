{# Profile of groups of users: per group its size and share of the population, the mean, median
   and index (against the population mean) of every profile metric, and the modal value of every
   trait with its share. `members` holds one row per group and member with the group key, the
   profile's metric columns and the two columns of profile_member_keys() (computed per user,
   before any unnest: at ten million users the unnested memberships are ~120M rows);
   `population` one row per user of the population. Returns a query, to wrap in a CTE:
   `profiles as ({{ profile_groups('members', 'population', 'group_key') }})`. A group with no
   members has no row.

   `members` is read three times (sizes and means; medians; trait combinations). DuckDB 2.0
   stores a CTE read more than once: declare `members` `as not materialized` when storing it
   would not fit in memory (unnested rule-segment memberships: ~120M rows at 10M users), or
   leave it stored when it is narrow and a join costly to repeat (int_segment_profiles).
   `trait_code_counts`, when given, is a relation holding those counts already (columns
   `group_by`, profile_trait_code, users): at a hundred million users the counting needs a
   query of its own, since in one query with the means and medians it ran DuckDB out of its
   1GB (int_rule_segment_trait_codes_counted). Counts, means, indexes and modes are exact. Medians hold every value in memory, so above
   var `median_sample_size` users in the population they are taken over the members of a
   seeded sample of about that many users (a hash of user id and var `random_seed`); at or below
   it they are exact. #}
{% macro profile_groups(members, population, group_by, trait_code_counts=none) %}
    {%- set metrics = profile_metrics() -%}
    {%- set traits = profile_traits() -%}
    {#- Validated with the other settings by check_settings (on-run-start). -#}
    {%- set sample_size = var('median_sample_size') %}
    with

    group_stats as (
        select
            {{ group_by }},
            count(*) as users,
            {%- for metric in metrics %}
            avg({{ metric }}) as avg_{{ metric }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ members }}
        group by 1
    ),

    population_stats as (
        select
            count(*) as population_users,
            {%- for metric in metrics %}
            avg({{ metric }}) as population_avg_{{ metric }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ population }}
    ),

    median_members as (
        select {{ members }}.*
        from {{ members }}
        cross join population_stats
        where
            population_stats.population_users <= {{ sample_size }}
            or {{ members }}.median_sample_key < {{ sample_size }} / population_stats.population_users
    ),

    group_medians as (
        select
            {{ group_by }},
            {%- for metric in metrics %}
            {{ median(metric) }} as median_{{ metric }}{{ ',' if not loop.last }}
            {%- endfor %}
        from median_members
        group by 1
    ),

    {#- One pass over the members for every trait: counts per combination of trait values
        (a few hundred thousand at most), grouped on the packed code (two whole numbers are
        far cheaper to group on than seven texts), then unpacked and summed per trait. #}
    trait_code_counts as (
        {%- if trait_code_counts is not none %}
        select * from {{ trait_code_counts }}
        {%- else %}
        select
            {{ group_by }},
            profile_trait_code,
            count(*) as users
        from {{ members }}
        group by 1, 2
        {%- endif %}
    ),

    trait_combinations as (
        select
            {{ group_by }},
            {%- for trait in traits %}
            {{ profile_trait_value(trait, 'profile_trait_code') }} as {{ trait }},
            {%- endfor %}
            users
        from trait_code_counts
    ),

    trait_counts as (
        {%- for trait in traits %}
        select
            {{ group_by }},
            '{{ trait }}' as trait,
            {{ trait }} as trait_value,
            sum(users) as users
        from trait_combinations
        group by 1, 2, 3
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    ranked_traits as (
        select
            *,
            row_number() over (
                partition by {{ group_by }}, trait
                order by users desc, trait_value
            ) as trait_rank
        from trait_counts
    ),

    modal_traits as (
        select
            {{ group_by }},
            {%- for trait in traits %}
            max(case when trait = '{{ trait }}' then trait_value end) as modal_{{ trait }},
            max(case when trait = '{{ trait }}' then users end) as modal_{{ trait }}_users{{ ',' if not loop.last }}
            {%- endfor %}
        from ranked_traits
        where trait_rank = 1
        group by 1
    ),

    group_profiles as (
        select
            group_stats.{{ group_by }},
            {%- for trait in traits %}
            modal_traits.modal_{{ trait }},
            {%- endfor %}
            group_stats.users,
            group_stats.users / population_stats.population_users as share,
            {%- for metric in metrics %}
            group_stats.avg_{{ metric }},
            group_medians.median_{{ metric }},
            100 * {{ safe_divide('group_stats.avg_' ~ metric, 'population_stats.population_avg_' ~ metric) }}
                as {{ metric }}_index,
            {%- endfor %}
            {%- for trait in traits %}
            modal_traits.modal_{{ trait }}_users / group_stats.users as modal_{{ trait }}_share{{ ',' if not loop.last }}
            {%- endfor %}
        from group_stats
        cross join population_stats
        inner join modal_traits
            on group_stats.{{ group_by }} = modal_traits.{{ group_by }}
        left join group_medians
            on group_stats.{{ group_by }} = group_medians.{{ group_by }}
    )

    select * from group_profiles
{%- endmacro %}


{# A number in [0, 1) from a hash of `column` and var `random_seed`: the same for a user on every
   run, so `seeded_share_hash(...) < p` keeps a seeded sample of about a share p of the users. #}
{% macro seeded_share_hash(column) %}
    {{ return(adapter.dispatch('seeded_share_hash', 'segmentation')(column)) }}
{% endmacro %}

{% macro default__seeded_share_hash(column) %}
    {{ engine_not_supported('seeded_share_hash') }}
{% endmacro %}

{% macro duckdb__seeded_share_hash(column) %}
    {{ md5_share(column, var('random_seed')) }}
{%- endmacro %}

{% macro spark__seeded_share_hash(column) %}
    {{ md5_share(column, var('random_seed')) }}
{%- endmacro %}


{# The columns profile_groups needs besides the profile, for a select list that has one row per
   user (before any unnest): `profile_trait_code`, every trait of profile_traits() packed into
   one whole number (each value's position in var vocabularies, mixed radix, with one more
   digit value for null), and `median_sample_key`, the user's seeded_share_hash. A null trait
   unpacks as null; so does a value outside its vocabulary, which staging rejects. Counting
   trait combinations on these two numbers instead of eight columns took dim_rule_segments
   from 17 s to 7 s at 10M users. #}
{% macro profile_member_keys(user_id) %}
    {{ profile_trait_code() }} as profile_trait_code,
    {{ seeded_share_hash(user_id) }} as median_sample_key
{%- endmacro %}


{# The expression of profile_member_keys' `profile_trait_code`, alone. #}
{% macro profile_trait_code() %}
    {%- set parts = [] -%}
    {%- for trait in profile_trait_codes() -%}
        {#- Digit 0 .. n - 1: the value's vocabulary position - 1; digit n: null or unknown. -#}
        {%- do parts.append(
            "(coalesce(" ~ vocabulary_position(trait.name) ~ ", " ~ ((trait['values'] | length) + 1)
            ~ ") - 1) * " ~ trait.stride
        ) -%}
    {%- endfor -%}
    {{ parts | join('\n        + ') }}
{%- endmacro %}


{# A trait's value unpacked from a profile_trait_code column. #}
{% macro profile_trait_value(trait_name, code_column) %}
    {%- for trait in profile_trait_codes() if trait.name == trait_name -%}
    case mod(cast(floor({{ code_column }} / {{ trait.stride }}) as {{ dbt.type_bigint() }}), {{ (trait['values'] | length) + 1 }})
        {%- for value in trait['values'] %}
        when {{ loop.index0 }} then {{ sql_string_literal(value) }}
        {%- endfor %}
    end
    {%- endfor -%}
{%- endmacro %}


{# Each trait of profile_traits() with its vocabulary (var vocabularies) and its place value in
   profile_trait_code. #}
{% macro profile_trait_codes() %}
    {%- set vocabularies = var('vocabularies') -%}
    {%- set codes = [] -%}
    {%- set place = namespace(value=1) -%}
    {%- for trait in profile_traits() -%}
        {%- if trait not in vocabularies -%}
            {{ exceptions.raise_compiler_error("profile trait " ~ trait ~ " has no vocabulary in var vocabularies") }}
        {%- endif -%}
        {%- do codes.append({'name': trait, 'values': vocabularies[trait], 'stride': place.value}) -%}
        {%- set place.value = place.value * ((vocabularies[trait] | length) + 1) -%}
    {%- endfor -%}
    {{ return(codes) }}
{%- endmacro %}
