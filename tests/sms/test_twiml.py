"""The answer to a text is built by hand; it must be what the SDK's builder makes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from hotline.sms import twiml

HOSTILE = st.text(
    alphabet=st.one_of(st.sampled_from("&<>\"'\n\r\t]]>;=?"), st.characters(codec="utf-8")),
    max_size=60,
)


def sdk_replies(texts: list[str], status_callback: str | None) -> str:
    response = MessagingResponse()
    for text in texts:
        if status_callback:
            response.message(text, action=status_callback, method="POST")
        else:
            response.message(text)
    return str(response)


@given(st.lists(HOSTILE, max_size=3), st.one_of(st.none(), HOSTILE.filter(bool)))
def test_the_answer_is_the_sdks_to_the_byte(texts: list[str], callback: str | None) -> None:
    assert twiml.replies(texts, status_callback=callback) == sdk_replies(texts, callback)


def test_what_a_texter_sent_comes_back_as_text_not_markup() -> None:
    document = twiml.replies(['</Message><Redirect>x</Redirect> & "'], status_callback="a?b=1&c")
    (message,) = ET.fromstring(document.split("?>", 1)[1])
    assert message.text == '</Message><Redirect>x</Redirect> & "'
    assert message.attrib == {"action": "a?b=1&c", "method": "POST"}
