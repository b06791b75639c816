"""The README names the screens as the menu does, in the menu's order."""

import re
from pathlib import Path

from stockroom.web.context_processors import NAVIGATION

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_menu_entry_by_its_label_in_order():
    text = " ".join(README.read_text(encoding="utf-8").split())
    menu = re.search(r"The menu: (.*?)\. Every date", text).group(1)
    positions = [menu.find(label) for label, _url_name, _audience in NAVIGATION]
    assert -1 not in positions, [label for label, *_ in NAVIGATION if label not in menu]
    assert positions == sorted(positions)
    assert "Sync runs" not in text and "Synchronise" in menu and "Run history" in menu
