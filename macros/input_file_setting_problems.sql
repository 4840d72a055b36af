{# What is wrong with the settings naming an input file, as a list of messages (empty: nothing),
   for check_settings (the export) and check_campaign_results_file (campaign results): the
   path var must be text; it and its environment variable, when both set, must agree; the file
   must be .csv, .csv.gz or .parquet and one file (DuckDB would read every file a pattern
   matches as one input, silently); and a file and a source table must not both be set.
   `input` names what the file holds, in messages ("the input", "the campaign results");
   `combine` is the advice after a wildcard. The path and the setting it came from are those
   the input's own macros resolve (user_profiles_path, campaign_results_path). #}
{% macro input_file_setting_problems(path_var, env_name, path, setting, table_var, input, combine='') %}
    {% set problems = [] %}
    {% set var_path = var(path_var) %}
    {% set env_path = env_var(env_name, '') %}
    {% if var_path is not string %}
        {% do problems.append(path_var ~ " must be a file path, got '" ~ var_path ~ "'") %}
        {{ return(problems) }}
    {% elif env_path and var_path and env_path != var_path %}
        {% do problems.append(
            "environment variable " ~ env_name ~ " ('" ~ env_path ~ "') and var " ~ path_var
            ~ " ('" ~ var_path ~ "') name different files: set only one"
        ) %}
        {{ return(problems) }}
    {% endif %}
    {% if path and not ((path | lower).endswith('.csv') or (path | lower).endswith('.csv.gz') or (path | lower).endswith('.parquet')) %}
        {% do problems.append(setting ~ " must end in .csv, .csv.gz or .parquet, got '" ~ path ~ "'") %}
    {% endif %}
    {% set wildcards = ['*', '?', '['] | select('in', path) | list %}
    {% if wildcards %}
        {% do problems.append(
            setting ~ " must name one file, got a wildcard ('" ~ wildcards | join("', '") ~ "') in '"
            ~ path ~ "'" ~ (": " ~ combine if combine else "")
        ) %}
    {% endif %}
    {% if path and var(table_var) %}
        {% do problems.append(
            "var " ~ table_var ~ " ('" ~ var(table_var) ~ "') and " ~ setting ~ " ('" ~ path
            ~ "') both name " ~ input ~ ": set only one"
        ) %}
    {% endif %}
    {{ return(problems) }}
{% endmacro %}
