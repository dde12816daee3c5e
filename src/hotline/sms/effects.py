"""What the text flow answers with, and the effects it asks for (pure).

The flows return a `Reply`: the texts to answer with and the effects to apply, in
order; `conversation.py` applies each effect with one handler of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.i18n.translator import Msg


@dataclass(frozen=True, slots=True)
class Text:
    """One message to answer with: a sentence in a language, or text ready to send."""

    message: Msg | None = None
    lang: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class RememberLanguage:
    """Effect: answer this texter in `lang` from now on."""

    lang: str


@dataclass(frozen=True, slots=True)
class OptOut:
    """Effect: send this number nothing more."""


@dataclass(frozen=True, slots=True)
class OptIn:
    """Effect: this number may be texted again."""


@dataclass(frozen=True, slots=True)
class Forget:
    """Effect: delete everything held about this number (its opt-out stays)."""


@dataclass(frozen=True, slots=True)
class AskForHelp:
    """Effect: the texter needs a person; open a case in `lang` for a volunteer."""

    lang: str


@dataclass(frozen=True, slots=True)
class CountRights:
    """Effect: the rights went to this number; it gets them a few times a day at most."""


@dataclass(frozen=True, slots=True)
class Relay:
    """Effect: in an open case, these words go to the volunteer instead of an answer."""

    lang: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Effect: alerts for these ZIP codes, in `lang` (and corrections too, if asked)."""

    lang: str
    zips: tuple[str, ...]
    corrections: bool = False


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Effect: no more alerts to this number."""

    lang: str


@dataclass(frozen=True, slots=True)
class KeepDraft:
    """Effect: a report by text is under way; what the texter is asked next (`step`),
    the kind if known, and the place when this text gave it (None keeps the one held)."""

    step: str
    lang: str
    kind: str | None = None
    place: str | None = None


@dataclass(frozen=True, slots=True)
class DropDraft:
    """Effect: the report under way is abandoned."""


@dataclass(frozen=True, slots=True)
class FileReport:
    """Effect: the report goes to the responders (`place` None: the one held)."""

    lang: str
    kind: str
    ongoing: bool
    place: str | None = None


Effect = (
    RememberLanguage | OptOut | OptIn | Forget | AskForHelp | CountRights | Relay
    | Subscribe | Unsubscribe | KeepDraft | DropDraft | FileReport
)  # fmt: skip
# Effects the memory fast path cannot apply: they take the database path.
DURABLE = (OptOut, OptIn, Forget, AskForHelp, Subscribe, Unsubscribe, KeepDraft, DropDraft,
           FileReport)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reply:
    """What to text back, and the effects to apply, in order."""

    texts: tuple[Text, ...] = ()
    effects: tuple[Effect, ...] = ()

    @property
    def durable(self) -> bool:
        """Whether an effect must reach the database before the texter is answered."""
        return any(isinstance(effect, DURABLE) for effect in self.effects)

    def has(self, kind: type[Effect]) -> bool:
        return any(isinstance(effect, kind) for effect in self.effects)

    def language(self) -> str | None:
        """The language this reply remembers, if it remembers one."""
        for effect in self.effects:
            if isinstance(effect, RememberLanguage):
                return effect.lang
        return None
