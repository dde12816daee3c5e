"""The know-your-rights script, section by section.

Each section is short enough to hear in under a minute. Sentences are whole and
plain: they are read aloud by a machine voice to people who are frightened.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.i18n.translator import N_, Msg


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the script: a title and the sentences that follow it."""

    title: Msg
    body: tuple[Msg, ...]


DISCLAIMER = N_(
    "voice",
    "This is general information, not legal advice. For advice about your case, talk to a lawyer.",
)

SECTIONS: tuple[Section, ...] = (
    Section(
        # TRANSLATORS: title of the first part of the know-your-rights script.
        N_("voice", "Agents at your door."),
        (
            N_("voice", "You do not have to open the door."),
            N_(
                "voice",
                "Ask them to pass the warrant under the door, or to hold it up to a window.",
            ),
            # TRANSLATORS: an "administrative warrant" is a paper signed by an
            # immigration officer, not by a judge. Explain it; do not transliterate.
            N_(
                "voice",
                "A paper signed by an immigration officer does not let them into your home.",
            ),
            N_(
                "voice",
                "Only a warrant signed by a judge, with your address on it, lets them in.",
            ),
            N_(
                "voice",
                "If they come in anyway, say out loud: I do not consent. Do not fight them.",
            ),
        ),
    ),
    Section(
        N_("voice", "Your right to stay silent."),
        (
            N_(
                "voice",
                "You do not have to answer questions about where you were born, "
                "your immigration status, or how you came to this country.",
            ),
            N_("voice", "Say: I want to stay silent. I want to talk to a lawyer."),
        ),
    ),
    Section(
        N_("voice", "Do not sign anything."),
        (
            N_(
                "voice",
                "Do not sign any paper you do not understand before you talk to a lawyer.",
            ),
            N_(
                "voice",
                "Some papers give up your right to see a judge. Do not sign them.",
            ),
            N_("voice", "Do not lie, and do not show false papers."),
        ),
    ),
    Section(
        N_("voice", "If you are stopped on the street or in a car."),
        (
            N_("voice", "Stay calm. Do not run."),
            N_("voice", "Ask: Am I free to leave? If they say yes, walk away calmly."),
            N_(
                "voice",
                "You may be asked your name. You do not have to answer other questions.",
            ),
        ),
    ),
    Section(
        N_("voice", "If you are detained."),
        (
            N_("voice", "Ask for a lawyer."),
            N_("voice", "Learn one emergency phone number by heart."),
            # TRANSLATORS: the A-number is the number on immigration papers; keep
            # the letter A.
            N_(
                "voice",
                "Keep your A-number, if you have one, and your consulate's phone number.",
            ),
            N_("voice", "You may call this hotline."),
        ),
    ),
    Section(
        N_("voice", "Make a family safety plan."),
        (
            N_("voice", "Decide who will pick up the children if you cannot."),
            N_("voice", "Keep important papers in one safe place that your family knows."),
            N_(
                "voice",
                "Choose a person you trust who can make decisions for you. "
                "A lawyer can help you give them that power in writing.",
            ),
            N_("voice", "Make sure everyone in the family knows the important numbers by heart."),
        ),
    ),
    Section(
        N_("voice", "Write down what you see, safely."),
        (
            N_(
                "voice",
                "Write down the time, the place, how many agents there were, "
                "and what agency they were from.",
            ),
            N_("voice", "Write down badge numbers, cars and license plates."),
            N_("voice", "If you film, stay at a safe distance."),
            N_("voice", "Then tell the hotline what you saw."),
        ),
    ),
)
