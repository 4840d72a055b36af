{#- How rule segments overlap each other and the clustering's segments: one row per ordered pair
    (rule segment, other rule segment) and per (rule segment, cluster segment), pairs without
    common users included. Pairs are counted by a self-join of the memberships aggregated in
    SQL: the work grows with users × (rule segments per user)², the result with segments². -#}

with

rule_memberships as (
    select * from {{ ref('fct_user_rule_segments') }}
),

user_segments as (
    select * from {{ ref('fct_user_segments') }}
),

rule_segments as (
    select * from {{ ref('dim_rule_segments') }}
),

cluster_segments as (
    select * from {{ ref('dim_segments') }}
),

{# Each unordered pair once, then mirrored: half the join rows of counting both orders. #}
rule_pair_counts as (
    select
        first_memberships.rule_segment_id,
        second_memberships.rule_segment_id as other_rule_segment_id,
        count(*) as users_in_both,
    from rule_memberships as first_memberships
    inner join rule_memberships as second_memberships
        on
            first_memberships.user_id = second_memberships.user_id
            and first_memberships.rule_segment_id < second_memberships.rule_segment_id
    group by 1, 2
),

rule_pair_counts_both_ways as (
    select
        rule_segment_id,
        other_rule_segment_id,
        users_in_both,
    from rule_pair_counts
    union all
    select
        other_rule_segment_id as rule_segment_id,
        rule_segment_id as other_rule_segment_id,
        users_in_both,
    from rule_pair_counts
),

rule_cluster_counts as (
    select
        rule_memberships.rule_segment_id,
        user_segments.segment_id,
        count(*) as users_in_both,
    from rule_memberships
    inner join user_segments
        on rule_memberships.user_id = user_segments.user_id
    group by 1, 2
),

rule_rule_pairs as (
    select
        rule_segments.rule_segment_id,
        'rule' as other_segment_type,
        other_rule_segments.rule_segment_id as other_rule_segment_id,
        cast(null as {{ dbt.type_bigint() }}) as other_cluster_segment_id,
        rule_segments.rule_segment_name,
        other_rule_segments.rule_segment_name as other_segment_name,
        rule_segments.users as rule_segment_users,
        other_rule_segments.users as other_segment_users,
        coalesce(rule_pair_counts_both_ways.users_in_both, 0) as users_in_both,
    from rule_segments
    inner join rule_segments as other_rule_segments
        on rule_segments.rule_segment_id <> other_rule_segments.rule_segment_id
    left join rule_pair_counts_both_ways
        on
            rule_segments.rule_segment_id = rule_pair_counts_both_ways.rule_segment_id
            and other_rule_segments.rule_segment_id = rule_pair_counts_both_ways.other_rule_segment_id
),

rule_cluster_pairs as (
    select
        rule_segments.rule_segment_id,
        'cluster' as other_segment_type,
        cast(null as {{ dbt.type_string() }}) as other_rule_segment_id,
        cast(cluster_segments.segment_id as {{ dbt.type_bigint() }}) as other_cluster_segment_id,
        rule_segments.rule_segment_name,
        cluster_segments.segment_name as other_segment_name,
        rule_segments.users as rule_segment_users,
        cluster_segments.users as other_segment_users,
        coalesce(rule_cluster_counts.users_in_both, 0) as users_in_both,
    from rule_segments
    cross join cluster_segments
    left join rule_cluster_counts
        on
            rule_segments.rule_segment_id = rule_cluster_counts.rule_segment_id
            and cluster_segments.segment_id = rule_cluster_counts.segment_id
),

pairs as (
    select * from rule_rule_pairs
    union all
    select * from rule_cluster_pairs
),

overlap as (
    select
        *,
        {{ safe_divide('users_in_both', 'rule_segment_users + other_segment_users - users_in_both') }}
            as jaccard_index,
        {{ safe_divide('users_in_both', 'rule_segment_users') }} as share_of_rule_segment_in_other,
        {{ safe_divide('users_in_both', 'other_segment_users') }} as share_of_other_segment_in_rule,
    from pairs
)

select * from overlap
