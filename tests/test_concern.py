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
    # a family's words for a patient who is not right (break-it pass: each was "Sorry, I could not read that")
    pytest.param("something's not right with him", True, id="something-not-right"),
    pytest.param("he's not ok", True, id="hes-not-ok"),
    pytest.param("she looks really bad", True, id="she-looks-bad"),
    pytest.param("está muy mal", True, id="es-esta-muy-mal"),
    pytest.param("no se ve bien", True, id="es-no-se-ve-bien"),
    pytest.param("algo anda mal", True, id="es-algo-anda-mal"),
    pytest.param("he's not ok with texting, call his wife", False, id="not-ok-with"),
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


@pytest.mark.parametrize("body, expected", [
    pytest.param("low oxygen", "concerning_text", id="low-oxygen-in-words"),
    pytest.param("my oxygen is low", "concerning_text", id="oxygen-is-low"),
    pytest.param("oxígeno bajo", "concerning_text", id="es-oxigeno-bajo"),
    pytest.param("low blood pressure", "concerning_text", id="low-bp-in-words"),
    pytest.param("bp is low", "concerning_text", id="bp-is-low"),
    pytest.param("tiene la presión baja", "concerning_text", id="es-presion-baja"),
    pytest.param("no habla bien", "concerning_text", id="es-no-habla-bien"),
    pytest.param("he can't talk right", "concerning_text", id="cant-talk-right"),
    pytest.param("Stop texting me please", "concerning_text", id="stop-in-a-sentence"),
    pytest.param("dejen de mandar mensajes", "concerning_text", id="es-dejen-de-mandar"),
    # not Twilio's keyword (the whole text): nothing stops them, so a nurse must read it (was "could not read that")
    pytest.param("Stop please", "concerning_text", id="stop-please"),
    pytest.param("Unsubscribe me", "concerning_text", id="unsubscribe-me"),
    pytest.param("no más mensajes", "concerning_text", id="es-no-mas-mensajes"),
    pytest.param("ya no quiero mensajes", "concerning_text", id="es-no-quiero-mensajes"),
    pytest.param("please stop the chills, 101", None, id="stop-the-chills-no-opt-out"),
    pytest.param("I don't have a thermometer", "concerning_text", id="no-thermometer"),
    pytest.param("my thermometer is broken", "concerning_text", id="thermometer-broken"),
    pytest.param("cant find my thermometer", "concerning_text", id="cant-find-thermometer"),
    pytest.param("no tengo termómetro", "concerning_text", id="es-no-tengo-termometro"),
    pytest.param("el termómetro no funciona", "concerning_text", id="es-termometro-no-funciona"),
    pytest.param("used my thermometer, 98.6", None, id="thermometer-used"),
    pytest.param("my oxygen is not low", None, id="oxygen-not-low"),
    pytest.param("o2 is fine", None, id="o2-fine"),
    pytest.param("blood pressure 120/80 not low", None, id="bp-not-low"),
    # a checklist's denials: each paged the nurse "worrying message, read it" (break-it pass)
    pytest.param("no bleeding", None, id="no-bleeding"),
    pytest.param("not bleeding, 98.6", None, id="not-bleeding"),
    pytest.param("no chest pain", None, id="no-chest-pain"),
    pytest.param("denies chest pain or bleeding", None, id="denies-chest-pain-or-bleeding"),
    pytest.param("sin dolor de pecho", None, id="es-sin-dolor-de-pecho"),
    pytest.param("no tiene sangrado", None, id="es-no-tiene-sangrado"),
    pytest.param("no fever, chest pain", "concerning_text", id="no-fever-then-chest-pain"),
    pytest.param("no fever but bleeding from the nose", "concerning_text", id="no-fever-but-bleeding"),
    pytest.param("no, he has chest pain", "concerning_text", id="no-he-has-chest-pain"),
    # a fever that fell, or someone who fell asleep, is no fall: each paged the nurse "worrying message" (break-it pass)
    pytest.param("temp fell to 99", None, id="temp-fell-to"),
    pytest.param("my fever fell", None, id="fever-fell"),
    pytest.param("fever has fallen to 99.5", None, id="fever-has-fallen-to"),
    pytest.param("she fell asleep", None, id="fell-asleep"),
    pytest.param("he fell asleep on the couch, 98.9", None, id="fell-asleep-couch"),
    pytest.param("she fell", "concerning_text", id="she-fell"),
    # found in review: the fix above hid real falls, and a denial word hid a sign that is there after all
    pytest.param("she fell to the floor", "concerning_text", id="fell-to-the-floor"),
    pytest.param("he fell to the ground", "concerning_text", id="fell-to-the-ground"),
    pytest.param("mom fell back on the bed", "concerning_text", id="fell-back-on-the-bed"),
    pytest.param("she fell back asleep", None, id="fell-back-asleep"),
    pytest.param("never had chest pain like this before", "concerning_text", id="never-had-chest-pain-like-this"),
    pytest.param("I never had chest pain this bad", "concerning_text", id="never-chest-pain-this-bad"),
    pytest.param("not much chest pain", "concerning_text", id="not-much-chest-pain"),
    pytest.param("nunca tuve dolor de pecho asi", "concerning_text", id="es-nunca-dolor-de-pecho-asi"),
    pytest.param("he fell down the stairs", "concerning_text", id="fell-down"),
    pytest.param("i have fallen", "concerning_text", id="have-fallen"),
])
def test_red_flags_in_words_reach_a_nurse(body, expected):
    """SOP 5 Grade 1 home's red flags said without a number, found answered 'I could not read that' by
    the break-it pass: a nurse must read them (the page quotes the patient's words)."""
    from messages.concern import concern

    assert concern(body) == expected


def test_low_oxygen_in_words_pages_the_nurse_through_the_webhook(client, admin_token, patient, phone):
    from conftest import NURSES, PATIENT_PHONE, auth, texts_to

    phone.text("my oxygen is low")
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert [a["reasons"] for a in alerts] == [["concerning_text"]]
    assert "oxygen is low" in texts_to(client, admin_token, NURSES[0])[-1]["body"]
    assert "could not read" not in texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]


@pytest.mark.parametrize("body", ["I don't have a thermometer", "no tengo termómetro"])
def test_no_thermometer_reaches_a_nurse_through_the_webhook(client, admin_token, patient, phone, body):
    """A patient who cannot take a temperature is not monitored for fever at all (SOP 5 Grade 1 home: every
    1-2 h): the nurse is told and calls, instead of the patient being told "I could not read that"."""
    from conftest import NURSES, PATIENT_PHONE, auth, texts_to

    phone.text(body)
    alerts = client.get("/api/v1/alerts", headers=auth(admin_token)).get_json()
    assert [a["reasons"] for a in alerts] == [["concerning_text"]]
    page = texts_to(client, admin_token, NURSES[0])[-1]["body"].lower()
    assert "thermometer" in page or "termometro" in page  # the page quotes the words (GSM-7, accents off)
    reply = texts_to(client, admin_token, PATIENT_PHONE)[-1]["body"]
    assert "could not read" not in reply and "no pude leer" not in reply
