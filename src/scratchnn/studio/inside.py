"""The Inside a CNN page (being built: see issue 18)."""


def register(studio):
    studio.add_page("/inside", "Inside a CNN", "inside.html",
                     "feature maps, filters and one convolution step")
