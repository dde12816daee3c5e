"""Intents rendered as TwiML with the SDK builders: pure, and cached by intent."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather as GatherVerb
from twilio.twiml.voice_response import VoiceResponse

from hotline.callbacks.messages import CALLER_GONE, CONNECTING
from hotline.callbacks.service import CALLBACK_CONNECT_PATH, CALLBACK_DONE_PATH
from hotline.i18n.audio import Recordings
from hotline.i18n.catalogs import Catalogs
from hotline.i18n.languages import language_name
from hotline.voice.flow import DIAL_TIMEOUT
from hotline.voice.intents import CallState, Dial, Gather, Hangup, Intent, Say
from hotline.voice.messages import APOLOGY, WHISPER

NEXT_PATH = "/twilio/voice/next"
STATUS_PATH = "/twilio/voice/status"
SCREEN_PATH = "/twilio/voice/screen"
ACCEPT_PATH = "/twilio/voice/screen/answer"
LEG_PATH = "/twilio/voice/leg"
SCREEN_TIMEOUT = 6


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

    @property
    def recordings(self) -> Recordings:
        return self._recordings

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
                    num_digits=intent.digits,
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
                caller_lang = intent.next.lang or ""
                for leg in intent.legs:
                    if not leg.screened:
                        dial.number(leg.number)
                        continue
                    # Only a key press bridges a volunteer: silence or a voicemail
                    # greeting hangs that leg up, so a call never lands in voicemail.
                    query = {
                        "caller": caller_lang,
                        "lang": leg.whisper_lang,
                        "leg": leg.volunteer_id,
                    }
                    dial.number(
                        leg.number,
                        url=f"{self._public_url}{SCREEN_PATH}?{urlencode(sorted(query.items()))}",
                        method="POST",
                        status_callback=(
                            f"{self._public_url}{LEG_PATH}?{urlencode({'leg': leg.volunteer_id})}"
                        ),
                        status_callback_event="ringing answered completed",
                        status_callback_method="POST",
                    )
            elif isinstance(intent, Hangup):
                response.hangup()
        return str(response)

    def screen(self, *, whisper_lang: str, caller_lang: str, leg: int) -> str:
        """The whisper a volunteer hears on answering: only 1 bridges the call."""
        name = language_name(caller_lang, self._catalogs.registry, in_language=whisper_lang)
        whisper = Say(WHISPER, whisper_lang, (("language", name),))
        response = VoiceResponse()
        gather = response.gather(
            action=self._leg_url(ACCEPT_PATH, caller_lang, whisper_lang, leg),
            method="POST",
            input="dtmf",
            num_digits=1,
            timeout=SCREEN_TIMEOUT,
        )
        self._say(gather, whisper)
        self._say(gather, whisper)
        response.hangup()
        return str(response)

    def _leg_url(self, path: str, caller_lang: str, whisper_lang: str, leg: int) -> str:
        query = sorted({"caller": caller_lang, "lang": whisper_lang, "leg": str(leg)}.items())
        return f"{self._public_url}{path}?{urlencode(query)}"

    def say_into(self, parent: VoiceResponse | GatherVerb, intent: Say) -> None:
        """Add `intent` to `parent`: said, or played for a recorded language."""
        self._say(parent, intent)

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


def static_fallback(*, catalogs: Catalogs, codes: list[str], numbers: tuple[str, ...]) -> str:
    """The TwiML for Twilio's fallback URL, for when this service cannot answer at all.

    It apologises in every voice-menu language, then rings the backup numbers one after
    the other. Audio-only languages are said by their stand-in voice: the fallback host
    may not serve recordings. Without a backup number there is no fallback to serve.
    """
    if not numbers:
        raise ValueError("a fallback needs a backup number to ring")
    response = VoiceResponse()
    for code in codes:
        language = catalogs.language(code)
        voice = catalogs.registry[language.standin] if language.audio_only else language
        text = catalogs.translator(code)(APOLOGY)
        response.say(text, language=voice.say_language, voice=voice.voice)
    for number in numbers:
        # No action: an unanswered dial falls through to the next number.
        response.dial(timeout=DIAL_TIMEOUT, answer_on_bridge=True).number(number)
    response.hangup()
    return str(response)


CALLBACK_RING_SECONDS = 30


class CallbackRenderer:
    """TwiML for the calls that bring a volunteer and a caller together again."""

    def __init__(self, renderer: Renderer, catalogs: Catalogs, public_url: str) -> None:
        self._renderer = renderer
        self._catalogs = catalogs
        self._public_url = public_url

    def url(self, path: str, callback_id: int) -> str:
        return f"{self._public_url}{path}?{urlencode({'cb': callback_id})}"

    def screen(self, *, lang: str, caller_lang: str, callback_id: int) -> str:
        """The volunteer picked up the hotline's call: 1 connects, silence hangs up."""
        name = language_name(caller_lang, self._catalogs.registry, in_language=lang)
        whisper = Say(WHISPER, lang, (("language", name),))
        response = VoiceResponse()
        gather = response.gather(
            action=self.url(CALLBACK_CONNECT_PATH, callback_id),
            method="POST",
            input="dtmf",
            num_digits=1,
            timeout=SCREEN_TIMEOUT,
        )
        self._renderer.say_into(gather, whisper)
        self._renderer.say_into(gather, whisper)
        response.hangup()
        return str(response)

    def connect(
        self, *, lang: str, caller_lang: str, caller: str, sender: str, callback_id: int
    ) -> str:
        """Tell the volunteer, then ring the caller from the hotline's own number."""
        name = language_name(caller_lang, self._catalogs.registry, in_language=lang)
        response = VoiceResponse()
        self._renderer.say_into(response, Say(CONNECTING, lang, (("language", name),)))
        response.dial(
            action=self.url(CALLBACK_DONE_PATH, callback_id),
            method="POST",
            caller_id=sender,
            timeout=CALLBACK_RING_SECONDS,
            answer_on_bridge=True,
        ).number(caller)
        return str(response)

    def goodbye(self, *, lang: str | None = None) -> str:
        """Hang up, telling the volunteer the caller did not answer when `lang` is given."""
        response = VoiceResponse()
        if lang is not None:
            self._renderer.say_into(response, Say(CALLER_GONE, lang))
        response.hangup()
        return str(response)
