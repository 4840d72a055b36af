{# The standard normal distribution function Φ(x) in plain arithmetic (exp, abs, division), so
   that every engine computes the same p-values without a statistics function of its own:
   Abramowitz & Stegun 26.2.17, absolute error below 7.5e-8, plenty for a p-value read to 3
   decimals. Beyond |x| = 37 the tail is below double precision: x is clamped there, so that
   exp() never underflows (an ANSI engine may refuse what another rounds to 0). The clamp is a
   case, not least(): least() skips a null, and Φ(null) must be null, not Φ(37). #}
{% macro normal_cdf(x) %}
    {%- set magnitude = '(case when abs(' ~ x ~ ') > 37.0 then 37.0 else abs(' ~ x ~ ') end)' -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * ' ~ magnitude ~ '))' -%}
    {%- set upper_tail -%}
        (0.3989422804014327 * exp(-0.5 * {{ magnitude }} * {{ magnitude }})
            * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
            + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429)))))
    {%- endset -%}
    (case when {{ x }} >= 0 then 1.0 - {{ upper_tail }} else {{ upper_tail }} end)
{%- endmacro %}
