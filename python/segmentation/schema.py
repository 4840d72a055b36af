"""The export's contract: its 16 columns, their vocabularies and ranges.

The same vocabularies live in `dbt_project.yml` (var `vocabularies`) for the SQL models;
`tests/python/test_schema.py` fails if the two drift apart.
"""

from __future__ import annotations

# Header spelling of the platform's export, in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "User ID",
    "Age",
    "Gender",
    "Location",
    "Language",
    "Education Level",
    "Likes and Reactions",
    "Followed Accounts",
    "Device Usage",
    "Time Spent Online (hrs/weekday)",
    "Time Spent Online (hrs/weekend)",
    "Click-Through Rates (CTR)",
    "Conversion Rates",
    "Ad Interaction Time (sec)",
    "Income Level",
    "Top Interests",
)

# Export header -> snake_case name used from staging on.
STAGING_NAMES: dict[str, str] = {
    "User ID": "user_id",
    "Age": "age_band",
    "Gender": "gender",
    "Location": "location",
    "Language": "language",
    "Education Level": "education_level",
    "Likes and Reactions": "likes_and_reactions",
    "Followed Accounts": "followed_accounts",
    "Device Usage": "device_usage",
    "Time Spent Online (hrs/weekday)": "weekday_hours_online",
    "Time Spent Online (hrs/weekend)": "weekend_hours_online",
    "Click-Through Rates (CTR)": "click_through_rate",
    "Conversion Rates": "conversion_rate",
    "Ad Interaction Time (sec)": "ad_interaction_seconds",
    "Income Level": "income_band",
    "Top Interests": "top_interests",
}

# Ordered vocabularies (order matters for the bands).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "age_band": ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("Male", "Female"),
    "location": ("Urban", "Suburban", "Rural"),
    "language": ("English", "Spanish", "Mandarin", "Hindi"),
    "education_level": ("High School", "Bachelor", "Master", "PhD", "Technical"),
    "device_usage": ("Mobile Only", "Desktop Only", "Mobile + Desktop", "Tablet"),
    "income_band": ("0-20k", "20k-40k", "40k-60k", "60k-80k", "80k-100k", "100k+"),
}

INTERESTS: tuple[str, ...] = (
    "Digital Marketing",
    "Data Science",
    "Fitness and Wellness",
    "Gaming",
    "DIY Crafts",
    "Software Engineering",
    "Gourmet Cooking",
    "Eco-Friendly Living",
    "Reading and Literature",
    "Pet Care",
    "Travel and Adventure",
    "Gardening",
    "Music Production",
    "Investing and Finance",
    "Fashion Modelling",
    "Photography",
)

# Observed ranges of the real export (min, max) and the decimals it writes.
RANGES: dict[str, tuple[float, float, int]] = {
    "likes_and_reactions": (101, 9973, 0),
    "followed_accounts": (10, 498, 0),
    "weekday_hours_online": (0.5, 5.0, 1),
    "weekend_hours_online": (1.0, 8.0, 1),
    "click_through_rate": (0.0, 0.25, 3),
    "conversion_rate": (0.0, 0.10, 3),
    "ad_interaction_seconds": (5, 179, 0),
}
