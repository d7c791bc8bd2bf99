"""alerts.nurse_initials (found by a breaker helper): a nurse's page shows the patient's initials in GSM-7, but a Latin
capital Unicode does not decompose (Ł, Đ, Ħ) folded to nothing, and so did every Cyrillic or Greek one:
'Łukasz Łapiński' was paged as '. .', so the nurse could not tell which of her patients it was (the alert id and
the link stay). Through the signed webhook, as a patient texts."""
from __future__ import annotations

import re

import pytest
from conftest import NURSES, enroll, texts_to

from messages.texts import is_gsm7


def _page(client, admin_token) -> str:
    pages = [text["body"] for text in texts_to(client, admin_token, NURSES[0]) if text["kind"] == "alert"]
    assert pages
    return pages[-1]


@pytest.mark.parametrize("name, shown", [
    pytest.param("Łukasz Łapiński", "L.L.", id="polish-L-stroke"),
    pytest.param("Đặng Văn Minh", "D.V.M.", id="vietnamese-D-stroke"),
    pytest.param("Ħana Borg", "H.B.", id="maltese-H-stroke"),
    pytest.param("İsmail Öztürk", "I.Ö.", id="turkish-dotted-I-control"),
    pytest.param("Иван Петров", "?.?.", id="cyrillic-unknown-not-empty"),
    pytest.param("'Ana Lopez", "A.L.", id="leading-quote-kept"),
    pytest.param("Ana (Lupe) Lopez", "A.L.L.", id="parenthesised-middle-name-kept"),
    pytest.param("\"Bud\" O'Neil", "B.O.", id="nickname-in-quotes-kept"),
])
def test_a_page_shows_a_letter_for_each_initial(client, admin_token, runner, phone, name, shown):
    enroll(client, admin_token, name=name)
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert phone.text("temp 103, short of breath").status_code == 200
    page = _page(client, admin_token)
    assert page.startswith(f"crswatch URGENT: {shown} "), page
    assert re.match(r"crswatch URGENT: (\S\.)+ ", page), page
    assert is_gsm7(page), page


@pytest.mark.parametrize("relationship, shown", [
    pytest.param("mamá 👧", "Reported by caregiver (mama) (555) 555-0188.", id="emoji-after-a-word"),
    pytest.param("👧", "Reported by caregiver (555) 555-0188.", id="emoji-only"),
    pytest.param("дочь", "Reported by caregiver (555) 555-0188.", id="cyrillic-only"),
    pytest.param("daughter", "Reported by caregiver (daughter) (555) 555-0188.", id="control-plain"),
])
def test_a_page_names_the_caregivers_relationship_without_an_empty_gap(client, admin_token, runner, phone,
                                                                      relationship, shown):
    """The relationship is free text: what GSM-7 cannot carry is dropped, and it left 'caregiver ( )' or
    'caregiver (mama )' on the nurse's page."""
    enroll(client, admin_token, caregivers=[{"name": "Rosa Example", "phone": "+15555550188",
                                             "relationship": relationship}])
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert phone.text("she is short of breath", sender="+15555550188").status_code == 200
    page = _page(client, admin_token)
    assert shown in page, page
    assert is_gsm7(page), page
