"""The Draw page (being built: see issue 18)."""


def register(studio):
    studio.add_page("/draw", "Draw", "draw.html", "draw a digit and see what the network thinks")
