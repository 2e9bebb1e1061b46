"""The Attention page (being built: see issue 18)."""


def register(studio):
    studio.add_page("/attention", "Attention", "attention.html",
                     "attention maps and sampling with temperature")
