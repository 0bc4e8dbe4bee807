"""Draw the README's picture: the map of the Libya timeline on 26 May 2020.

Seeds the shipped timeline into a temporary SQLite database and writes docs/map-2020-05-26.png
through the same library calls as `timeline map` (it needs the `pictures` extra):

    python docs/make_images.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timeline import database, picturing  # noqa: E402
from timeline.dates import parse_instant  # noqa: E402
from timeline.seeds import load_seed  # noqa: E402
from timeline.store.sql import SqlStore  # noqa: E402

IMAGE = ROOT / "docs" / "map-2020-05-26.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = database.open_engine(f"sqlite:///{Path(tmp) / 'libya.db'}")
        store = SqlStore(engine)
        load_seed(store, "libya")
        info = store.catalog.get("libya")
        picturing.draw_map(
            store, info, parse_instant("2020-05-26", info.zone), IMAGE, as_known=None
        )
        engine.dispose()
    print(f"{IMAGE.relative_to(ROOT)}: {IMAGE.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
