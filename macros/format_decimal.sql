{# A number as text with a fixed count of decimals ('0.163', '128'), for readable sentences.
   Rounded half up at the last digit shown, after the number is first rounded to 9 decimals:
   the engines' floating-point sums differ in the last bits, and printing the double itself
   (C's printf on DuckDB, Java's on Spark) turns a value within 1e-17 of a tie into different
   text on each engine. Through a decimal of that scale: 0.5 prints 0.500. Portable SQL, so
   not dispatched. #}
{% macro format_decimal(expression, decimals) %}
    cast(cast(round(cast({{ expression }} as decimal(38, 9)), {{ decimals | int }}) as decimal(38, {{ decimals | int }})) as {{ dbt.type_string() }})
{%- endmacro %}
