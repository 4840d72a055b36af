{# The columns the clustering model sees, in order: the numeric features (var numeric_features,
   standard-scaled at fit time), then one 0/1 column per value of each categorical feature
   (var categorical_features, vocabulary order). Returns a list of
   {'name': column, 'feature': source column, 'value': category or none, 'is_scaled': bool}. #}
{% macro cluster_model_columns() %}
    {% set columns = [] %}
    {% for feature in var('numeric_features') %}
        {% do columns.append({'name': feature, 'feature': feature, 'value': none, 'is_scaled': true}) %}
    {% endfor %}
    {% for feature in var('categorical_features') %}
        {% for value in var('vocabularies')[feature] %}
            {% do columns.append({
                'name': feature ~ '__' ~ slugify(value),
                'feature': feature,
                'value': value,
                'is_scaled': false,
            }) %}
        {% endfor %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{# A category value as part of a column name: '65+' -> '65_plus', 'Mobile + Desktop' -> 'mobile_plus_desktop'. #}
{% macro slugify(value) %}
    {% set text = (value | string | lower | replace('+', ' plus ')) %}
    {{ return(modules.re.sub('[^a-z0-9]+', '_', text).strip('_')) }}
{% endmacro %}
