"""Texts that ask for a person go to the nurse, whatever else they say."""
import pytest

from messages.concern import asks_for_help


@pytest.mark.parametrize("body, asks", [
    pytest.param("please call me I feel terrible", True, id="call-me-terrible"),
    pytest.param("Can someone call me?", True, id="can-someone-call"),
    pytest.param("I feel awful", True, id="feel-awful"),
    pytest.param("feeling much worse tonight", True, id="much-worse"),
    pytest.param("I need help", True, id="need-help"),
    pytest.param("something is wrong with my dad", True, id="something-wrong"),
    pytest.param("llámenme por favor", True, id="es-llamenme"),
    pytest.param("me siento muy mal", True, id="es-muy-mal"),
    pytest.param("estoy peor", True, id="es-estoy-peor"),
    pytest.param("necesito ayuda", True, id="es-necesito-ayuda"),
    pytest.param("98.6 feeling fine", False, id="fine"),
    pytest.param("ok thanks", False, id="thanks"),
    pytest.param("no need to call me, all good", False, id="no-need-to-call"),
    pytest.param("don't call me at work", False, id="dont-call"),
    pytest.param("not worse, better today", False, id="not-worse"),
    pytest.param("", False, id="empty"),
    pytest.param(None, False, id="none"),
])
def test_asks_for_help(body, asks):
    assert asks_for_help(body) is asks
