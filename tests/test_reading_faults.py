"""Issue 14, faults 4 and 5: the words around a number say which vital it is, and what a body can show
is defined once (triage.ranges) for the text reader, triage and the app API."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import PATIENT_PHONE, auth, texts_to
from hypothesis import given, settings
from hypothesis import strategies as st

from messages.parse import parse
from monitoring.app_api import to_celsius
from triage.ranges import celsius_from, plausible, temperature_unit


@pytest.mark.parametrize("value, unit, celsius", [
    pytest.param("100.4", "F", 38.0, id="fever-line-exact"),
    pytest.param("100.35", "F", 37.97, id="below-the-line-stays-below"),
    pytest.param("93.011", "F", 33.9, id="three-decimals-half-up-exactly"),
    pytest.param("37.55", "C", 37.55, id="celsius-as-written"),
    pytest.param("38.125", "C", 38.13, id="celsius-half-up"),
])
def test_celsius_from(value, unit, celsius):
    assert celsius_from(Decimal(value), unit) == celsius


def test_celsius_from_refuses_an_unknown_unit():
    with pytest.raises(ValueError, match="'C' or 'F'"):
        celsius_from(Decimal(300), "K")


@pytest.mark.parametrize("value, unit", [
    ("34", "C"), ("43", "C"), ("43.1", None), ("93.1", None), ("93.2", "F"), ("100.4", "F"), ("109.4", "F"),
    ("109.5", None), ("109.9", None), ("110", None), ("1000", None), ("0", None),
])
def test_temperature_unit_is_the_plausible_range(value, unit):
    assert temperature_unit(Decimal(value)) == unit


@pytest.mark.parametrize("body, value, unit", [
    ("109.9", 109.9, None), ("110", 110, None), ("93", 93, None), ("temp 109.9 F", 109.9, "F"),
    ("tengo 43.5 grados", 43.5, None),
])
def test_the_reader_and_the_app_api_agree_on_what_is_implausible(body, value, unit):
    parsed = parse(body)
    assert parsed.temperature_c is None and parsed.implausible == ("temperature",)
    celsius = to_celsius(value, unit)
    assert celsius is None or not plausible("temperature_c", celsius)


def test_an_implausible_temperature_is_asked_again_and_never_stored(client, admin_token, patient, phone):
    phone.text("109.9")
    assert "does not look right" in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert all(reading["temperature_c"] is None for reading in readings)


@pytest.mark.parametrize("body", ["my heart is pounding, 128", "el corazón me late a 128"])
def test_a_pulse_said_in_words_is_not_asked_again(client, admin_token, patient, phone, body):
    phone.text(body)
    reply = texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]
    assert "does not look right" not in reply and "no parece correcto" not in reply
    readings = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token)).get_json()["readings"]
    assert readings[0]["heart_rate"] == 128 and readings[0]["temperature_c"] is None


HEART_WORDS = ["my heart is pounding,", "heart racing", "el corazón me late a", "tengo el corazón acelerado,",
               "palpitations", "palpitaciones"]


@given(st.sampled_from(HEART_WORDS), st.integers(10, 400))
@settings(max_examples=300, deadline=None)
def test_a_number_said_of_the_heart_is_a_pulse_unless_it_could_be_a_fever(words, number):
    """Words about the heart decide a number no temperature could be ("my heart is pounding, 128"); one
    that could be a temperature stays one ("heart racing 101"): a fever is never read away (SOP 4)."""
    parsed = parse(f"{words} {number}")
    if temperature_unit(Decimal(number)) is not None:
        assert parsed.temperature_c is not None and parsed.heart_rate is None
        return
    assert parsed.temperature_c is None and "temperature" not in parsed.implausible
    assert parsed.heart_rate == number or parsed.implausible == ("heart_rate",)


@given(st.sampled_from(HEART_WORDS), st.decimals(min_value=Decimal("34.1"), max_value=Decimal("109.4"), places=1))
@settings(max_examples=300, deadline=None)
def test_a_number_with_a_decimal_point_stays_a_temperature(words, value):
    parsed = parse(f"{words} {value}")
    assert parsed.heart_rate is None
    assert (parsed.temperature_c is not None) == (temperature_unit(value) is not None)
