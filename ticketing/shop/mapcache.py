"""The shop's seat map of a session, drawn at most once every ``SHOP_MAP_SECONDS`` in each process.

Drawing every seat of a grandstand means reading each seat's state and writing its circle; in the minute
a session goes on sale, hundreds of buyers open the same page and each would pay for it. A map a few
seconds old is good enough for a buyer: the hold always reads the database, and a seat sold meanwhile is
refused with the reason. The staff's maps (counter, admin) are never cached: they follow every change.

Each app keeps its own maps (``app.extensions``), so nothing here is needed by another process or host."""
import threading
import time
from collections import OrderedDict
from typing import Callable

from flask import current_app

#: the sessions whose maps one process keeps (the least recently drawn goes first)
KEEP = 16
#: the clock (monotonic seconds); tests move it on
clock = time.monotonic


class _Maps:
    def __init__(self):
        self.lock = threading.Lock()
        self.drawn: OrderedDict[int, tuple[float, str]] = OrderedDict()
        #: how often each session's map was forgotten: a drawing begun before that is not kept
        self.forgotten: dict[int, int] = {}


def session_map(session_id: int, draw: Callable[[], str]) -> str:
    """The session's map as ``draw()`` makes it, drawn again once it is older than ``SHOP_MAP_SECONDS``
    (0: every time). Two requests that find it old may both draw it; either result is kept."""
    seconds = current_app.config["SHOP_MAP_SECONDS"]
    if seconds <= 0:
        return draw()
    maps = current_app.extensions.setdefault("shop_maps", _Maps())
    now = clock()
    with maps.lock:
        kept = maps.drawn.get(session_id)
        if kept and now - kept[0] < seconds:
            maps.drawn.move_to_end(session_id)
            return kept[1]
        generation = maps.forgotten.get(session_id, 0)
    svg = draw()
    with maps.lock:
        if maps.forgotten.get(session_id, 0) != generation:
            return svg  # forgotten while it was drawn: it may be older than the refusal
        maps.drawn[session_id] = (now, svg)
        maps.drawn.move_to_end(session_id)
        while len(maps.drawn) > KEEP:
            maps.drawn.popitem(last=False)
    return svg


def forget(session_id: int) -> None:
    """Draw the session's map afresh on its next visit: a buyer was just refused seats that this process's
    map may still show free (the page after the refusal shows the truth)."""
    maps = current_app.extensions.get("shop_maps")
    if maps is not None:
        with maps.lock:
            maps.drawn.pop(session_id, None)
            maps.forgotten[session_id] = maps.forgotten.get(session_id, 0) + 1
