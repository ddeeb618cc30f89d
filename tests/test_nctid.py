"""The NCT ID grammar."""

import pytest

from trialbuzz.errors import InvalidNctId
from trialbuzz.nctid import find_all, normalize, require


@pytest.mark.parametrize("value, expected", [
    ("NCT04280705", "NCT04280705"),
    ("nct04280705", "NCT04280705"),
    (" NCT04280705 ", "NCT04280705"),
    ("Nct00000001", "NCT00000001"),
    ("NCT00000000", None),
    ("NCT0428070", None),
    ("NCT042807051", None),
    ("04280705", None),
    ("NCT 04280705", None),
    ("NCT04280705X", None),
    ("NCT\uff10\uff14\uff12\uff18\uff10\uff17\uff10\uff15", None),
    ("NCT\u0660\u0664\u0662\u0668\u0660\u0667\u0660\u0665", None),
    ("", None),
    (None, None),
    (4280705, None),
])
def test_normalize(value, expected):
    assert normalize(value) == expected


def test_require_raises_with_a_message_naming_the_format():
    with pytest.raises(InvalidNctId, match="exactly 8 digits"):
        require("NCT123")


def test_find_all_keeps_order_drops_repeats_and_glued_or_long_ids():
    text = ("See NCT02422290 and nct01492673; again NCT02422290. Not XNCT01111111, not "
            "NCT044375111, not NCT02222222abc, not NCT\uff10\uff14\uff12\uff18\uff10\uff17"
            "\uff10\uff15, not NCT00000000.")
    assert find_all(text) == ["NCT02422290", "NCT01492673"]
