"""The Train page: the curves of the run that is training now, pushed as they happen, and its
controls (pause, resume, one more epoch, stop, learning rate).

Routes: ``GET /api/train/history``: every epoch event and the batch events the bus still holds,
for a page that opens in the middle of a run (afterwards it follows ``/api/events``).
"""


def register(studio):
    studio.add_page("/train", "Train", "train.html",
                    "loss and metrics of the run training now, and its controls")

    def history(request):
        kept = studio.bus.events_after(0)
        return {"batches": [e for e in kept if e["kind"] == "batch"],
                "epochs": [e for e in kept if e["kind"] == "epoch"],
                "last_event": studio.bus.last_id}

    studio.route("GET", "/api/train/history", history)
