"""The know-your-rights script as text messages."""

from __future__ import annotations

from hotline.i18n.translator import N_, Translator
from hotline.rights.script import DISCLAIMER, SECTIONS
from hotline.telephony.segments import encoding, gsm_friendly, segments, split_parts

# TRANSLATORS: the first line of the rights sent by text message.
TEXT_HEADER = N_("sms", "Know your rights, from the immigration emergency hotline.")
# TRANSLATORS: the last line of the rights sent by text message.
TEXT_FOOTER = N_("sms", "If you need help now, call this number.")

PARAGRAPH = ""


def rights_sentences(t: Translator) -> list[str]:
    """The whole script in `t`'s language, sentence by sentence; "" between sections."""
    sentences = [t(TEXT_HEADER), PARAGRAPH]
    for section in SECTIONS:
        sentences.append(t(section.title))
        sentences.extend(t(sentence) for sentence in section.body)
        sentences.append(PARAGRAPH)
    sentences.extend([t(DISCLAIMER), t(TEXT_FOOTER)])
    return sentences


def rights_parts(t: Translator) -> list[str]:
    """The script as numbered text messages in `t`'s language, each within Twilio's limits."""
    return split_parts([gsm_friendly(sentence) for sentence in rights_sentences(t)])


def text_report(t: Translator) -> list[tuple[str, int, str, int]]:
    """Every text in `t`'s language: what it is, characters, encoding, segments."""
    rows: list[tuple[str, int, str, int]] = [
        (message.text[:40], len(t(message)), encoding(t(message)), segments(t(message)))
        for message in (TEXT_HEADER, TEXT_FOOTER)
    ]
    for number, part in enumerate(rights_parts(t), start=1):
        rows.append((f"rights by text, part {number}", len(part), encoding(part), segments(part)))
    return rows
