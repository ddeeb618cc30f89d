"""The kinds of attention, in display order, with their labels and donut colours (the words
for them live in `trialbuzz.attention.words`)."""

from trialbuzz.attention.words import kind_label

# Colours follow Altmetric's donut where a kind matches one of its sources, so that people who
# know that donut read ours at once; forum takes Reddit's, social Bluesky's, publications
# Altmetric's guidelines teal (its readers' red is too close to news).
COLORS = {
    "news": "#B60000",
    "blog": "#E89500",
    "policy": "#5B17E8",
    "wikipedia": "#3B2A3D",
    "social": "#1185FE",
    "forum": "#B9DDEB",
    "video": "#98C973",
    "publication": "#15BABC",
}
KINDS = {kind: {"label": kind_label(kind), "color": color} for kind, color in COLORS.items()}
EMPTY_COLOR = "#C8CCD2"
