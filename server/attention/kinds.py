"""The kinds of attention, in display order, with their labels and donut colours."""

# Colours follow Altmetric's donut where a kind matches one of its sources, so that people who
# know that donut read ours at once; forum takes Reddit's, social Bluesky's, publications
# Altmetric's guidelines teal (its readers' red is too close to news).
KINDS = {
    "news": {"label": "News", "color": "#B60000"},
    "blog": {"label": "Blogs", "color": "#E89500"},
    "policy": {"label": "Policy", "color": "#5B17E8"},
    "wikipedia": {"label": "Wikipedia", "color": "#3B2A3D"},
    "social": {"label": "Social", "color": "#1185FE"},
    "forum": {"label": "Forums", "color": "#B9DDEB"},
    "video": {"label": "Video", "color": "#98C973"},
    "publication": {"label": "Publications", "color": "#15BABC"},
}
EMPTY_COLOR = "#C8CCD2"
