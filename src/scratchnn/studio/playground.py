"""The Playground page (being built: see issue 18)."""


def register(studio):
    studio.add_page("/playground", "Playground", "playground.html",
                     "a network you configure learns a 2-D data set")
