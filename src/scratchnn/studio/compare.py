"""The Compare page (being built: see issue 18)."""


def register(studio):
    studio.add_page("/compare", "Compare", "compare.html", "several runs side by side")
