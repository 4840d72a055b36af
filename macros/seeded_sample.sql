{# At most `size` rows of `relation`, chosen by md5_share of user id and seed: the same rows on
   every run and on every engine, and mostly the same after users are added. All rows when
   there are fewer. Returned in input-file order (source_row_number), as a notebook reading the
   file sees them. #}
{% macro seeded_sample(relation, size, seed) %}
    {{ return(adapter.dispatch('seeded_sample', 'segmentation')(relation, size, seed)) }}
{% endmacro %}

{% macro default__seeded_sample(relation, size, seed) %}
    {{ engine_not_supported('seeded_sample') }}
{% endmacro %}

{% macro duckdb__seeded_sample(relation, size, seed) %}
    {{ seeded_sample_by_semi_join(relation, size, seed, 'semi join') }}
{%- endmacro %}

{% macro spark__seeded_sample(relation, size, seed) %}
    {{ seeded_sample_by_semi_join(relation, size, seed, 'left semi join') }}
{%- endmacro %}

{#- The body the engines share, with their spelling of the semi join. The top-N runs on ids
    alone: sorting only what the choice needs keeps it cheap. -#}
{% macro seeded_sample_by_semi_join(relation, size, seed, semi_join) %}
    select {{ relation }}.*
    from {{ relation }}
    {{ semi_join }} (
        select user_id from {{ relation }}
        order by {{ md5_share('user_id', seed) }}, user_id
        limit {{ size | int }}
    ) as chosen
        on {{ relation }}.user_id = chosen.user_id
    order by {{ relation }}.source_row_number
{%- endmacro %}


{# A fingerprint of a relation's rows: changes when any value of the listed columns changes. #}
{% macro rows_fingerprint(columns) %}
    {{ return(adapter.dispatch('rows_fingerprint', 'segmentation')(columns)) }}
{% endmacro %}

{% macro default__rows_fingerprint(columns) %}
    {{ engine_not_supported('rows_fingerprint') }}
{% endmacro %}

{% macro duckdb__rows_fingerprint(columns) %}
    cast(bit_xor(hash({{ columns | join(', ') }})) as varchar)
{%- endmacro %}

{% macro spark__rows_fingerprint(columns) %}
    cast(bit_xor(xxhash64({{ columns | join(', ') }})) as string)
{%- endmacro %}


{# A number in [0, 1) from the MD5 of `expression` and `seed`: its first 60 bits over 2^60.
   MD5 is the same function on every engine (unlike each engine's own hash), so the share,
   and a sample ordered by it, is the same on every engine that implements this macro. #}
{% macro md5_share(expression, seed) %}
    {{ return(adapter.dispatch('md5_share', 'segmentation')(expression, seed)) }}
{% endmacro %}

{% macro default__md5_share(expression, seed) %}
    {{ engine_not_supported('md5_share') }}
{% endmacro %}

{% macro duckdb__md5_share(expression, seed) %}
    (cast('0x' || substr(md5({{ expression }} || '#{{ seed | int }}'), 1, 15) as bigint)
        / cast(1152921504606846976 as double))
{%- endmacro %}

{% macro spark__md5_share(expression, seed) %}
    (cast(conv(substr(md5(concat({{ expression }}, '#{{ seed | int }}')), 1, 15), 16, 10) as bigint)
        / cast(1152921504606846976 as double))
{%- endmacro %}
