{# on-run-start: refuse settings that are not what they should be, naming the var to change.
   Every var that reaches SQL or the filesystem is checked here or quoted where it is used. #}
{% macro check_settings() %}
    {% set problems = [] %}

    {% set known_numeric = numeric_feature_names() %}
    {% set numeric = var('numeric_features') %}
    {% if numeric is string or numeric is not iterable %}
        {% do problems.append("numeric_features must be a list of feature names, got " ~ numeric) %}
    {% else %}
        {% for feature in numeric %}
            {% if feature not in known_numeric %}
                {% do problems.append("numeric_features: unknown feature '" ~ feature ~ "' (known: " ~ known_numeric | join(', ') ~ ")") %}
            {% endif %}
        {% endfor %}
    {% endif %}

    {% set vocabularies = var('vocabularies') %}
    {% set categorical = var('categorical_features') %}
    {% if categorical is string or categorical is not iterable %}
        {% do problems.append("categorical_features must be a list of column names, got " ~ categorical) %}
    {% else %}
        {% for feature in categorical %}
            {% if feature not in vocabularies %}
                {% do problems.append("categorical_features: unknown column '" ~ feature ~ "' (known: " ~ vocabularies.keys() | join(', ') ~ ")") %}
            {% endif %}
        {% endfor %}
    {% endif %}
    {% if (numeric | length) + (categorical | length) == 0 %}
        {% do problems.append("numeric_features and categorical_features are both empty: nothing to cluster on") %}
    {% endif %}

    {% set n_clusters = var('n_clusters') %}
    {% if not (n_clusters == 'auto' or (n_clusters is integer and n_clusters >= 2)) %}
        {% do problems.append("n_clusters must be auto or a whole number of at least 2, got '" ~ n_clusters ~ "'") %}
    {% endif %}
    {% set k_range = var('n_clusters_range') %}
    {% if k_range is string or k_range is not iterable or k_range | length != 2
        or not (k_range[0] is integer and k_range[1] is integer and 2 <= k_range[0] <= k_range[1]) %}
        {% do problems.append("n_clusters_range must be [smallest, largest] whole numbers >= 2, got '" ~ k_range ~ "'") %}
    {% endif %}
    {% for name in ['quality_sweep', 'refit', 'interest_features'] %}
        {% if var(name) is not boolean %}
            {% do problems.append(name ~ " must be true or false, got '" ~ var(name) ~ "'") %}
        {% endif %}
    {% endfor %}
    {% for name in ['drift_threshold', 'identity_max_distance', 'unstable_jaccard'] %}
        {% if not (var(name) is number and var(name) is not boolean and var(name) >= 0) %}
            {% do problems.append(name ~ " must be a number >= 0, got '" ~ var(name) ~ "'") %}
        {% endif %}
    {% endfor %}

    {% set algorithms = ['kmeans', 'minibatch_kmeans', 'gaussian_mixture'] %}
    {% if var('algorithm') not in algorithms %}
        {% do problems.append("algorithm: unknown '" ~ var('algorithm') ~ "' (known: " ~ algorithms | join(', ') ~ ")") %}
    {% endif %}

    {% for name in ['random_seed', 'n_init', 'fit_sample_size', 'quality_sample_size', 'quality_n_init', 'null_draws', 'stability_subsamples', 'median_sample_size'] %}
        {% set value = var(name) %}
        {% set least = 0 if name in ('random_seed', 'stability_subsamples') else (2 if name == 'null_draws' else 1) %}
        {% if not (value is integer and value is not boolean and value >= least) %}
            {% do problems.append(name ~ " must be a whole number >= " ~ least ~ ", got '" ~ value ~ "'") %}
        {% endif %}
    {% endfor %}

    {% set share = var('max_rejected_share') %}
    {% if not (share is number and share is not boolean and share >= 0 and share <= 1) %}
        {% do problems.append("max_rejected_share must be a number between 0 and 1, got '" ~ share ~ "'") %}
    {% endif %}

    {% set var_path = var('user_profiles_path', '') %}
    {% set env_path = env_var('SEGMENTATION_USER_PROFILES_PATH', '') %}
    {% set setting = user_profiles_path_setting() %}
    {% if var_path is not string %}
        {% do problems.append("user_profiles_path must be a file path, got '" ~ var_path ~ "'") %}
    {% elif env_path and var_path and env_path != var_path %}
        {% do problems.append(
            "environment variable SEGMENTATION_USER_PROFILES_PATH ('" ~ env_path ~ "') and var "
            ~ "user_profiles_path ('" ~ var_path ~ "') name different input files: set only one"
        ) %}
    {% else %}
        {% set path = user_profiles_path() %}
        {% if path and not ((path | lower).endswith('.csv') or (path | lower).endswith('.csv.gz') or (path | lower).endswith('.parquet')) %}
            {% do problems.append(setting ~ " must end in .csv, .csv.gz or .parquet, got '" ~ path ~ "'") %}
        {% endif %}
        {#- DuckDB would read every file a pattern matches as one input, silently. -#}
        {% set wildcards = ['*', '?', '['] | select('in', path) | list %}
        {% if wildcards %}
            {% do problems.append(
                setting ~ " must name one file, got a wildcard ('" ~ wildcards | join("', '") ~ "') in '"
                ~ path ~ "': a build reads one export. Combine the files into one (one header line) first"
            ) %}
        {% endif %}
    {% endif %}

    {% if var('rule_segments_path') is not string or not var('rule_segments_path') %}
        {% do problems.append("rule_segments_path must be a file path, got '" ~ var('rule_segments_path') ~ "'") %}
    {% endif %}

    {% set encodings = accepted_encodings() %}
    {% if var('user_profiles_encoding', 'utf-8') not in encodings %}
        {% do problems.append("user_profiles_encoding: unknown '" ~ var('user_profiles_encoding') ~ "' (known: " ~ encodings | join(', ') ~ ")") %}
    {% endif %}

    {#- Not a var, but staging depends on it: rows are numbered by the order DuckDB stores
        them in (input_row_number). -#}
    {% if execute and target.type == 'duckdb' %}
        {% set keeps_order = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] %}
        {% if not keeps_order %}
            {% do problems.append(
                "DuckDB setting preserve_insertion_order is off (profiles.yml, settings): staging "
                ~ "numbers the input rows by the order it stores them in; set it to true"
            ) %}
        {% endif %}
    {% endif %}

    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid settings (dbt vars, DuckDB settings):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}
