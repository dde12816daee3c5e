"""Intents rendered as TwiML with the SDK builders: pure, and cached by intent."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather as GatherVerb
from twilio.twiml.voice_response import VoiceResponse

from hotline.i18n.audio import Recordings
from hotline.i18n.catalogs import Catalogs
from hotline.voice.flow import (
    APOLOGY,
    APOLOGY_NO_BACKUP,
    DIAL_TIMEOUT,
    CallState,
    Dial,
    Gather,
    Hangup,
    Intent,
    Say,
)

NEXT_PATH = "/twilio/voice/next"
STATUS_PATH = "/twilio/voice/status"


class Renderer:
    """Turns a reply's intents into the TwiML document Twilio runs."""

    def __init__(
        self, *, catalogs: Catalogs, public_url: str, recordings: Recordings | None = None
    ) -> None:
        self._catalogs = catalogs
        self._public_url = public_url
        self._recordings = recordings or Recordings()
        # Replies are few and deterministic; rendering each once keeps the webhook
        # fast (the XML builders cost far more than a dictionary lookup).
        self.render = lru_cache(maxsize=4096)(self._render)

    def action_url(self, state: CallState) -> str:
        """The absolute URL that carries `state` back to us, keys sorted."""
        return f"{self._public_url}{NEXT_PATH}?{urlencode(state.query())}"

    def _render(self, intents: tuple[Intent, ...], caller_id: str | None) -> str:
        response = VoiceResponse()
        for intent in intents:
            if isinstance(intent, Say):
                self._say(response, intent)
            elif isinstance(intent, Gather):
                gather = response.gather(
                    action=self.action_url(intent.next),
                    method="POST",
                    input="dtmf",
                    num_digits=1,
                    timeout=intent.timeout,
                    action_on_empty_result=True,
                )
                for prompt in intent.prompts:
                    self._say(gather, prompt)
            elif isinstance(intent, Dial):
                dial = response.dial(
                    action=self.action_url(intent.next),
                    method="POST",
                    timeout=intent.timeout,
                    caller_id=caller_id,
                    answer_on_bridge=True,
                )
                dial.number(intent.number)
            elif isinstance(intent, Hangup):
                response.hangup()
        return str(response)

    def _say(self, parent: VoiceResponse | GatherVerb, intent: Say) -> None:
        language = self._catalogs.language(intent.lang)
        text = self._catalogs.translator(intent.lang)(intent.message, **dict(intent.params))
        if not language.audio_only:
            parent.say(text, language=language.say_language, voice=language.voice)
            return
        # No machine voice: a recording when there is one (names and numbers never
        # are), otherwise the text said by the stand-in language's voice.
        recording = None if intent.params else self._recordings.url(intent.lang, intent.message)
        if recording is not None:
            parent.play(recording)
        else:
            standin = self._catalogs.registry[language.standin]
            parent.say(text, language=standin.say_language, voice=standin.voice)


def static_fallback(*, catalogs: Catalogs, codes: list[str], backup_number: str | None) -> str:
    """The TwiML for Twilio's fallback URL, for when this service cannot answer at all.

    It apologises in every voice-menu language, then rings the backup number if there
    is one. Audio-only languages are said by their stand-in voice: the fallback host
    may not serve recordings.
    """
    response = VoiceResponse()
    message = APOLOGY if backup_number else APOLOGY_NO_BACKUP
    for code in codes:
        language = catalogs.language(code)
        voice = catalogs.registry[language.standin] if language.audio_only else language
        text = catalogs.translator(code)(message)
        response.say(text, language=voice.say_language, voice=voice.voice)
    if backup_number:
        response.dial(timeout=DIAL_TIMEOUT, answer_on_bridge=True).number(backup_number)
    response.hangup()
    return str(response)
