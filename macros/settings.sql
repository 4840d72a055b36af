{# The settings of one area (clustering, profiles, campaigns, input), checked by the rules of
   var settings_rules: the data python/segmentation/settings.py reads too, so a range or a list
   of choices is written once. Defaults are the vars of dbt_project.yml; nothing here adds one,
   except what depends on the environment (a folder left empty goes under
   $SEGMENTATION_BUILD_DIR, else build/) and a threshold key left out (its default in the rule). #}

{# {var name: value} of the area's vars, resolved as above (unchecked: see settings_problems). #}
{% macro area_settings(area) %}
    {%- set settings = {} -%}
    {%- for name, rule in var('settings_rules').items() if rule['area'] == area -%}
        {%- set value = var(name) -%}
        {%- if rule['type'] == 'folder' and value is string and not value -%}
            {%- set value = env_var('SEGMENTATION_BUILD_DIR', 'build') ~ '/' ~ rule['default'] -%}
        {%- elif rule['type'] == 'thresholds' and value is mapping -%}
            {%- set merged = {} -%}
            {%- for key, bounds in rule['keys'].items() -%}
                {%- do merged.update({key: bounds['default']}) -%}
            {%- endfor -%}
            {%- do merged.update(value) -%}
            {%- set value = merged -%}
        {%- endif -%}
        {%- do settings.update({name: value}) -%}
    {%- endfor -%}
    {{ return(settings) }}
{% endmacro %}


{# Every problem of the area's settings, one text each naming the var. #}
{% macro settings_problems(area) %}
    {%- set problems = [] -%}
    {%- set rules = var('settings_rules') -%}
    {%- for name, value in area_settings(area).items() -%}
        {%- do problems.extend(setting_problems(name, value, rules[name])) -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}


{# The problems of one var's value under its rule (none: []). Mirrors settings.problems in
   python/segmentation/settings.py, message for message. #}
{% macro setting_problems(name, value, rule) %}
    {%- set kind = rule['type'] -%}
    {%- set least = rule.get('min') -%}
    {%- set most = rule.get('max') -%}
    {%- set problems = [] -%}
    {%- if kind == 'whole' -%}
        {%- if not (value is integer and value >= least) -%}
            {%- do problems.append(name ~ " must be a whole number >= " ~ least ~ ", got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind == 'number' and rule.get('exclusive') -%}
        {%- if not (value is number and value is not boolean and value > least and value < most) -%}
            {%- do problems.append(name ~ " must be a number strictly between " ~ least ~ " and " ~ most ~ ", got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind == 'number' -%}
        {%- if not (value is number and value is not boolean and value >= least and (most is none or value <= most)) -%}
            {%- if most is none -%}
                {%- do problems.append(name ~ " must be a number >= " ~ least ~ ", got '" ~ value ~ "'") -%}
            {%- else -%}
                {%- do problems.append(name ~ " must be a number between " ~ least ~ " and " ~ most ~ ", got '" ~ value ~ "'") -%}
            {%- endif -%}
        {%- endif -%}
    {%- elif kind == 'boolean' -%}
        {%- if value is not boolean -%}
            {%- do problems.append(name ~ " must be true or false, got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind == 'choice' -%}
        {%- if value not in rule['choices'] -%}
            {%- do problems.append(name ~ ": unknown '" ~ value ~ "' (known: " ~ rule['choices'] | join(', ') ~ ")") -%}
        {%- endif -%}
    {%- elif kind == 'k' -%}
        {%- if not (value == 'auto' or (value is integer and value >= least)) -%}
            {%- do problems.append(name ~ " must be auto or a whole number of at least " ~ least ~ ", got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind == 'k_range' -%}
        {%- if value is string or value is not iterable or value | length != 2
            or not (value[0] is integer and value[1] is integer and least <= value[0] <= value[1]) -%}
            {%- do problems.append(name ~ " must be [smallest, largest] whole numbers >= " ~ least ~ ", got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind in ('metrics', 'vocabulary_columns') -%}
        {%- set known = catalogue_metrics() if kind == 'metrics' else var('vocabularies').keys() | list -%}
        {%- set what = 'feature' if kind == 'metrics' else 'column' -%}
        {%- if value is string or value is not iterable or value is mapping -%}
            {%- do problems.append(name ~ " must be a list of " ~ what ~ " names, got " ~ value) -%}
        {%- else -%}
            {%- for item in value if item not in known -%}
                {%- do problems.append(name ~ ": unknown " ~ what ~ " '" ~ item ~ "' (known: " ~ known | join(', ') ~ ")") -%}
            {%- endfor -%}
        {%- endif -%}
    {%- elif kind == 'campaign_keys' -%}
        {%- if value is string or value is not iterable or value is mapping -%}
            {%- do problems.append(name ~ " must be a list of campaign keys, got '" ~ value ~ "'") -%}
        {%- else -%}
            {%- set seen = [] -%}
            {%- for item in value -%}
                {%- if not (item is string and modules.re.fullmatch('[a-z][a-z0-9_]{0,39}', item)) -%}
                    {%- do problems.append(name ~ ": '" ~ item ~ "' is not a campaign key (lowercase letters, digits and _, starting with a letter, at most 40 characters)") -%}
                {%- elif item in seen -%}
                    {%- do problems.append(name ~ " lists '" ~ item ~ "' more than once") -%}
                {%- endif -%}
                {%- do seen.append(item) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- elif kind == 'identifier' -%}
        {%- if not (value is string and (value == '' or modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', value))) -%}
            {%- do problems.append(name ~ " must be empty or a name of letters, digits and _ (not starting with a digit), got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind in ('path', 'folder') -%}
        {%- if not (value is string and value | trim) -%}
            {%- do problems.append(name ~ " must be a " ~ ('file' if kind == 'path' else 'folder') ~ " path, got '" ~ value ~ "'") -%}
        {%- endif -%}
    {%- elif kind == 'thresholds' -%}
        {%- if value is not mapping -%}
            {%- do problems.append(name ~ " must be a mapping of threshold name to number, got '" ~ value ~ "'") -%}
        {%- else -%}
            {%- for key, number in value.items() -%}
                {%- if key not in rule['keys'] -%}
                    {%- do problems.append(name ~ ": unknown threshold '" ~ key ~ "' (known: " ~ rule['keys'].keys() | join(', ') ~ ")") -%}
                {%- else -%}
                    {%- do problems.extend(setting_problems(name ~ "." ~ key, number, {'type': 'number', 'min': rule['keys'][key].get('min'), 'max': rule['keys'][key].get('max')})) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- else -%}
        {%- do problems.append(name ~ ": settings_rules gives an unknown type '" ~ kind ~ "'") -%}
    {%- endif -%}
    {{ return(problems) }}
{% endmacro %}
