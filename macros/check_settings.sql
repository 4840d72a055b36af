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
    {% if not (n_clusters is integer and n_clusters >= 2) %}
        {% do problems.append("n_clusters must be a whole number of at least 2, got '" ~ n_clusters ~ "'") %}
    {% endif %}

    {% set algorithms = ['kmeans', 'minibatch_kmeans', 'gaussian_mixture'] %}
    {% if var('algorithm') not in algorithms %}
        {% do problems.append("algorithm: unknown '" ~ var('algorithm') ~ "' (known: " ~ algorithms | join(', ') ~ ")") %}
    {% endif %}

    {% for name in ['random_seed', 'n_init', 'fit_sample_size'] %}
        {% set value = var(name) %}
        {% if not (value is integer and value >= (0 if name == 'random_seed' else 1)) %}
            {% do problems.append(name ~ " must be a whole number" ~ (" >= 0" if name == 'random_seed' else " >= 1") ~ ", got '" ~ value ~ "'") %}
        {% endif %}
    {% endfor %}

    {% set share = var('max_rejected_share') %}
    {% if not (share is number and share >= 0 and share <= 1) %}
        {% do problems.append("max_rejected_share must be a number between 0 and 1, got '" ~ share ~ "'") %}
    {% endif %}

    {% set path = var('user_profiles_path', '') %}
    {% if path is not string %}
        {% do problems.append("user_profiles_path must be a file path, got '" ~ path ~ "'") %}
    {% elif path and not ((path | lower).endswith('.csv') or (path | lower).endswith('.csv.gz') or (path | lower).endswith('.parquet')) %}
        {% do problems.append("user_profiles_path must end in .csv or .parquet, got '" ~ path ~ "'") %}
    {% endif %}

    {% if problems %}
        {{ exceptions.raise_compiler_error("Invalid settings (dbt vars):\n  - " ~ problems | join("\n  - ")) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{# The numeric columns of int_user_features that clustering may use. #}
{% macro numeric_feature_names() %}
    {{ return([
        'weekday_hours_online', 'weekend_hours_online', 'weekly_hours_online',
        'weekend_share_of_hours_online', 'likes_and_reactions', 'followed_accounts',
        'likes_per_followed_account', 'click_through_rate', 'conversion_rate',
        'conversions_per_click', 'ad_interaction_seconds', 'interest_count',
        'age_band_rank', 'age_midpoint_years', 'income_band_rank', 'income_midpoint_usd',
    ]) }}
{% endmacro %}
