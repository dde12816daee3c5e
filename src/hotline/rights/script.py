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
    "rights",
    "This is general information, not legal advice. For advice about your case, talk to a lawyer.",
)

SECTIONS: tuple[Section, ...] = (
    Section(
        # TRANSLATORS: title of the first part of the know-your-rights script.
        N_("rights", "Agents at your door."),
        (
            N_("rights", "You do not have to open the door."),
            N_(
                "rights",
                "Ask them to pass the warrant under the door, or to hold it up to a window.",
            ),
            # TRANSLATORS: an "administrative warrant" is a paper signed by an
            # immigration officer, not by a judge. Explain it; do not transliterate.
            N_(
                "rights",
                "A paper signed by an immigration officer does not let them into your home.",
            ),
            N_(
                "rights",
                "Only a warrant signed by a judge, with your address on it, lets them in.",
            ),
            N_(
                "rights",
                "If they come in anyway, say out loud: I do not consent. Do not fight them.",
            ),
        ),
    ),
    Section(
        N_("rights", "Your right to stay silent."),
        (
            N_(
                "rights",
                "You do not have to answer questions about where you were born, "
                "your immigration status, or how you came to this country.",
            ),
            N_("rights", "Say: I want to stay silent. I want to talk to a lawyer."),
        ),
    ),
    Section(
        N_("rights", "Do not sign anything."),
        (
            N_(
                "rights",
                "Do not sign any paper you do not understand before you talk to a lawyer.",
            ),
            N_(
                "rights",
                "Some papers give up your right to see a judge. Do not sign them.",
            ),
            N_("rights", "Do not lie, and do not show false papers."),
        ),
    ),
    Section(
        N_("rights", "If you are stopped on the street or in a car."),
        (
            N_("rights", "Stay calm. Do not run."),
            N_("rights", "Ask: Am I free to leave? If they say yes, walk away calmly."),
            N_(
                "rights",
                "You may be asked your name. You do not have to answer other questions.",
            ),
        ),
    ),
    Section(
        N_("rights", "If you are detained."),
        (
            N_("rights", "Ask for a lawyer."),
            N_("rights", "Learn one emergency phone number by heart."),
            # TRANSLATORS: the A-number is the number on immigration papers; keep
            # the letter A.
            N_(
                "rights",
                "Keep your A-number, if you have one, and your consulate's phone number.",
            ),
            N_("rights", "You may call this hotline."),
        ),
    ),
    Section(
        N_("rights", "Make a family safety plan."),
        (
            N_("rights", "Decide who will pick up the children if you cannot."),
            N_("rights", "Keep important papers in one safe place that your family knows."),
            N_(
                "rights",
                "Choose a person you trust who can make decisions for you. "
                "A lawyer can help you give them that power in writing.",
            ),
            N_("rights", "Make sure everyone in the family knows the important numbers by heart."),
        ),
    ),
    Section(
        N_("rights", "Write down what you see, safely."),
        (
            N_(
                "rights",
                "Write down the time, the place, how many agents there were, "
                "and what agency they were from.",
            ),
            N_("rights", "Write down badge numbers, cars and license plates."),
            N_("rights", "If you film, stay at a safe distance."),
            N_("rights", "Then tell the hotline what you saw."),
        ),
    ),
)
