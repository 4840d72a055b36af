{#- How rule segments overlap each other and the clustering's segments: one row per ordered pair
    (rule segment, other rule segment) and per (rule segment, cluster segment), pairs without
    common users included. Both are counted over the distinct (cluster segment, combination of
    rule segments) that users are in, each weighted by its users, from one join and one
    aggregate over the users: the rest of the work grows with combinations, not with users. -#}

with

{# Users per cluster segment and combination of rule segments (a few million rows at ten
    million users): read twice, streamed from its table each time. #}
segment_combinations {{ as_not_materialized() }} (
    select * from {{ ref('int_segment_rule_combinations_counted') }}
),

rule_segments as (
    select * from {{ ref('dim_rule_segments') }}
),

cluster_segments as (
    select * from {{ ref('dim_segments') }}
),

{# Only combinations of two or more rule segments hold a pair. Not re-aggregated across
    cluster segments first: a combination is nearly unique per user on data without structure
    (nine million in ten million users), and a hash aggregate keyed on those lists ran out of
    DuckDB's 1GB memory_limit at a hundred million users; the pair sums below stream at once. #}
combinations as (
    select
        rule_segment_positions,
        users
    from segment_combinations
    where {{ list_length('rule_segment_positions') }} > 1
),

{# Each element of a combination with its index, then paired with every later element: each
    unordered pair once per combination, without a join (least/greatest in case a list is
    not in ascending order). #}
combination_firsts as (
    select
        rule_segment_positions,
        users,
        {{ unnest_list(integer_range(1, list_length('rule_segment_positions'))) }} as first_index
    from combinations
),

combination_pairs as (
    select
        {{ list_element('rule_segment_positions', 'first_index') }} as first_position,
        {{ unnest_list(list_tail('rule_segment_positions', 'first_index + 1')) }} as second_position,
        users
    from combination_firsts
),

{# Each unordered pair once, then mirrored. #}
rule_pair_counts as (
    select
        least(first_position, second_position) as rule_segment_position,
        greatest(first_position, second_position) as other_rule_segment_position,
        cast(sum(users) as {{ dbt.type_bigint() }}) as users_in_both
    from combination_pairs
    group by 1, 2
),

rule_pair_counts_both_ways as (
    select
        rule_segment_position,
        other_rule_segment_position,
        users_in_both
    from rule_pair_counts
    union all
    select
        other_rule_segment_position as rule_segment_position,
        rule_segment_position as other_rule_segment_position,
        users_in_both
    from rule_pair_counts
),

rule_cluster_counts as (
    select
        rule_segment_position,
        segment_id,
        cast(sum(users) as {{ dbt.type_bigint() }}) as users_in_both
    from (
        select
            segment_id,
            users,
            {{ unnest_list('rule_segment_positions') }} as rule_segment_position
        from segment_combinations
    ) as segment_positions
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
        coalesce(rule_pair_counts_both_ways.users_in_both, 0) as users_in_both
    from rule_segments
    inner join rule_segments as other_rule_segments
        on rule_segments.rule_segment_id <> other_rule_segments.rule_segment_id
    left join rule_pair_counts_both_ways
        on
            rule_segments.rule_segment_position = rule_pair_counts_both_ways.rule_segment_position
            and other_rule_segments.rule_segment_position
            = rule_pair_counts_both_ways.other_rule_segment_position
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
        coalesce(rule_cluster_counts.users_in_both, 0) as users_in_both
    from rule_segments
    cross join cluster_segments
    left join rule_cluster_counts
        on
            rule_segments.rule_segment_position = rule_cluster_counts.rule_segment_position
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
        {{ safe_divide('users_in_both', 'other_segment_users') }} as share_of_other_segment_in_rule
    from pairs
)

select * from overlap
