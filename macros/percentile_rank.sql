{# A lookup of `column`'s percentile rank within `relation`: one row per distinct value,
   (value, percentile), 0 (lowest) to 1 (highest). The same figure as SQL percent_rank() —
   (rank - 1) / (rows - 1), ties sharing the lowest rank, nulls left out — but computed from the
   counts of distinct values and joined back, so millions of users need one hash aggregate per
   metric instead of one sort each. #}
{% macro percentile_rank(relation, column) %}
    select
        {{ column }} as value,
        coalesce(
            (sum(count(*)) over (order by {{ column }}) - count(*))
            / nullif(sum(count(*)) over () - 1, 0),
            0
        ) as percentile
    from {{ relation }}
    where {{ column }} is not null
    group by 1
{%- endmacro %}
