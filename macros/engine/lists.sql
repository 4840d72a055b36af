{# List (array) expressions. Positions are 1-based, as in ANSI SQL and DuckDB (Spark's `[]` is
   0-based: its implementations must add their own offset). The default__ versions are ANSI
   SQL:2016 arrays where the standard has the operation, else they stop the compile
   (engine_not_supported). #}

{# The number of elements of a list. #}
{% macro list_length(list) %}
    {{ return(adapter.dispatch('list_length', 'segmentation')(list)) }}
{% endmacro %}

{% macro default__list_length(list) %}
    cardinality({{ list }})
{%- endmacro %}

{% macro duckdb__list_length(list) %}
    len({{ list }})
{%- endmacro %}

{#- A bigint, as DuckDB's len() (Spark's cardinality is an int). -#}
{% macro spark__list_length(list) %}
    cast(cardinality({{ list }}) as bigint)
{%- endmacro %}


{# A list of the SQL expressions `items` (a Jinja list), in order. #}
{% macro list_literal(items) %}
    {{ return(adapter.dispatch('list_literal', 'segmentation')(items)) }}
{% endmacro %}

{% macro default__list_literal(items) %}
    array[{{ items | join(', ') }}]
{%- endmacro %}

{% macro duckdb__list_literal(items) %}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__list_literal(items) %}
    array({{ items | join(', ') }})
{%- endmacro %}


{# The element at 1-based `position` of a list; null past its end. #}
{% macro list_element(list, position) %}
    {{ return(adapter.dispatch('list_element', 'segmentation')(list, position)) }}
{% endmacro %}

{% macro default__list_element(list, position) %}
    {{ list }}[{{ position }}]
{%- endmacro %}

{% macro duckdb__list_element(list, position) %}
    {{ list }}[{{ position }}]
{%- endmacro %}

{#- Spark's [] is 0-based, and element_at stops the query past the end (ANSI mode); its
    position is an int. -#}
{% macro spark__list_element(list, position) %}
    try_element_at({{ list }}, cast({{ position }} as int))
{%- endmacro %}


{# The elements of a list from 1-based `position` to its end. #}
{% macro list_tail(list, position) %}
    {{ return(adapter.dispatch('list_tail', 'segmentation')(list, position)) }}
{% endmacro %}

{% macro default__list_tail(list, position) %}
    {{ engine_not_supported('list_tail') }}
{% endmacro %}

{% macro duckdb__list_tail(list, position) %}
    {{ list }}[{{ position }}:]
{%- endmacro %}

{% macro spark__list_tail(list, position) %}
    slice({{ list }}, {{ position }}, greatest(cardinality({{ list }}) - ({{ position }}) + 1, 0))
{%- endmacro %}


{# The whole numbers from `start` up to, not including, `stop`, as a list. #}
{% macro integer_range(start, stop) %}
    {{ return(adapter.dispatch('integer_range', 'segmentation')(start, stop)) }}
{% endmacro %}

{% macro default__integer_range(start, stop) %}
    {{ engine_not_supported('integer_range') }}
{% endmacro %}

{% macro duckdb__integer_range(start, stop) %}
    range({{ start }}, {{ stop }})
{%- endmacro %}

{#- sequence() includes its stop and counts down when stop < start: an empty range is
    filtered out of a one-element one. -#}
{% macro spark__integer_range(start, stop) %}
    filter(
        sequence({{ start }}, greatest({{ start }}, ({{ stop }}) - 1)),
        range_value -> range_value < {{ stop }}
    )
{%- endmacro %}


{# A list with `value` added at its end. #}
{% macro list_append(list, value) %}
    {{ return(adapter.dispatch('list_append', 'segmentation')(list, value)) }}
{% endmacro %}

{% macro default__list_append(list, value) %}
    ({{ list }} || array[{{ value }}])
{%- endmacro %}

{% macro duckdb__list_append(list, value) %}
    list_append({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_append(list, value) %}
    concat({{ list }}, array({{ value }}))
{%- endmacro %}


{# The elements of a text list joined into one text with `separator` between them. #}
{% macro list_join(list, separator) %}
    {{ return(adapter.dispatch('list_join', 'segmentation')(list, separator)) }}
{% endmacro %}

{% macro default__list_join(list, separator) %}
    {{ engine_not_supported('list_join') }}
{% endmacro %}

{% macro duckdb__list_join(list, separator) %}
    array_to_string({{ list }}, {{ separator }})
{%- endmacro %}

{% macro spark__list_join(list, separator) %}
    array_join({{ list }}, {{ separator }})
{%- endmacro %}


{# In a select list: one output row per element of the list (none for an empty list), the
   other columns repeated. #}
{% macro unnest_list(list) %}
    {{ return(adapter.dispatch('unnest_list', 'segmentation')(list)) }}
{% endmacro %}

{% macro default__unnest_list(list) %}
    {{ engine_not_supported('unnest_list') }}
{% endmacro %}

{% macro duckdb__unnest_list(list) %}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) %}
    explode({{ list }})
{%- endmacro %}


{# The elements of `list` at the 1-based positions of the whole-number list `positions`, in
   the order of `positions`. #}
{% macro list_elements_at(list, positions) %}
    {{ return(adapter.dispatch('list_elements_at', 'segmentation')(list, positions)) }}
{% endmacro %}

{% macro default__list_elements_at(list, positions) %}
    {{ engine_not_supported('list_elements_at') }}
{% endmacro %}

{% macro duckdb__list_elements_at(list, positions) %}
    list_transform({{ positions }}, lambda position: {{ list }}[position])
{%- endmacro %}

{% macro spark__list_elements_at(list, positions) %}
    transform({{ positions }}, position -> try_element_at({{ list }}, position))
{%- endmacro %}


{# The number of distinct non-null elements of a list. #}
{% macro list_distinct_count(list) %}
    {{ return(adapter.dispatch('list_distinct_count', 'segmentation')(list)) }}
{% endmacro %}

{% macro default__list_distinct_count(list) %}
    {{ engine_not_supported('list_distinct_count') }}
{% endmacro %}

{% macro duckdb__list_distinct_count(list) %}
    list_unique({{ list }})
{%- endmacro %}

{% macro spark__list_distinct_count(list) %}
    cardinality(array_compact(array_distinct({{ list }})))
{%- endmacro %}
