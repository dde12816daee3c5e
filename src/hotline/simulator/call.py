"""One phone call placed against a running hotline, with its TwiML run the way Twilio runs it."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32
API_VERSION = "2010-04-01"
VOICE_PATH = "/twilio/voice"
SIGNATURE_HEADER = "X-Twilio-Signature"
KEY_PROMPT = "press a key (Enter for silence): "
DTMF_KEYS = frozenset("0123456789*#")
SILENCE = frozenset({"", "-", "wait"})
# Twilio rings at most this many <Number> nouns of one <Dial> at once.
MAX_NUMBERS = 10

_XML_TYPES = frozenset({"application/xml", "text/xml"})
_PROMPT_VERBS = frozenset({"Say", "Play", "Pause"})
_CALLEE_PREFIX = "  (callee) "

EndedBy = Literal["hangup", "rejected", "completed", "max-steps", "caller-hung-up"]
DialStatus = Literal["completed", "busy", "no-answer", "failed"]
Leg = Literal["caller", "callee"]


class SimulationError(Exception):
    """The service answered something Twilio could not run."""


class CallerHungUp(Exception):
    """Raised by a key source when the person on the line hangs up."""


@dataclass(frozen=True, slots=True)
class Heard:
    """One thing played on a leg of the call (or texted during it)."""

    kind: Literal["say", "play", "pause", "sms"]
    text: str = ""
    language: str | None = None
    voice: str | None = None
    seconds: int | None = None
    interrupted: bool = False
    leg: Leg = "caller"


@dataclass(frozen=True, slots=True)
class DialAnswer:
    """What a dialled number does: whether it answers, for how long, and the keys it presses."""

    status: DialStatus
    duration: int = 30
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CallResult:
    """What happened on a simulated call."""

    transcript: tuple[Heard, ...]
    requests: tuple[str, ...]
    ended_by: EndedBy


class KeySource(Protocol):
    """Where the keys the caller presses come from."""

    def eager(self) -> bool:
        """True when a key is ready now, so it interrupts the prompts of a Gather."""
        ...

    def next_key(self, prompt_hint: str, digits: int = 0) -> str | None:
        """The keys pressed for one Gather (of `digits` keys, 0: any number), or None for
        silence until its timeout."""
        ...


class ScriptedKeys:
    """Keys given in advance, one entry a Gather; "", "-" or "wait" lets a Gather time out."""

    def __init__(self, keys: Iterable[str], *, barge_in: bool = True) -> None:
        queue = [key.strip() for key in keys]
        for key in queue:
            if not _is_silence(key) and not set(key) <= DTMF_KEYS:
                raise ValueError(f"not keys on a phone keypad: {key!r}")
        self._queue = deque(queue)
        self._barge_in = barge_in

    @property
    def remaining(self) -> tuple[str, ...]:
        """The entries not used yet."""
        return tuple(self._queue)

    def eager(self) -> bool:
        """True when the next entry is a key, which a caller who knows the menu presses at once."""
        return self._barge_in and bool(self._queue) and not _is_silence(self._queue[0])

    def next_key(self, prompt_hint: str, digits: int = 0) -> str | None:
        """The next entry; silence once the script has run out. A Gather of several
        digits takes single keys one after another, as a caller presses them on a
        keypad (`6 0 6 2 3` is a ZIP code), up to its number of digits."""
        if not self._queue:
            return None
        key = self._queue.popleft()
        if _is_silence(key):
            return None
        if len(key) == 1 and digits > 1:
            while len(key) < digits and self._queue and len(self._queue[0]) == 1:
                if _is_silence(self._queue[0]):
                    break
                key += self._queue.popleft()
        return key


class InteractiveKeys:
    """Asks the person at the terminal; end of input (Ctrl-D) hangs up."""

    def __init__(self, input_fn: Callable[[str], str] = input) -> None:
        self._input = input_fn

    def eager(self) -> bool:
        """Never: the prompts are shown before anyone can answer them."""
        return False

    def next_key(self, prompt_hint: str, digits: int = 0) -> str | None:
        """A line of keys, None for an empty line; raises CallerHungUp at end of input."""
        prompt = KEY_PROMPT
        while True:
            try:
                line = self._input(prompt).strip()
            except EOFError:
                raise CallerHungUp from None
            if not line:
                return None
            if set(line) <= DTMF_KEYS:
                return line
            prompt = "keys are 0-9, * and #; " + KEY_PROMPT


def spoken(result: CallResult) -> list[str]:
    """The sentences the caller heard to the end, in order."""
    return [
        heard.text
        for heard in result.transcript
        if heard.kind == "say" and heard.leg == "caller" and not heard.interrupted
    ]


@dataclass(frozen=True, slots=True)
class _Next:
    """The request Twilio makes next on a leg."""

    url: str
    method: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Leg:
    name: Leg
    params: dict[str, str]
    keys: KeySource
    prefix: str


class _StepLimit(Exception):
    pass


class CallSimulator:
    """Places one call against the service the way Twilio would, and reports what was heard."""

    def __init__(
        self,
        *,
        client: httpx.Client,
        public_url: str,
        auth_token: str,
        caller: str,
        hotline: str,
        keys: KeySource,
        out: Callable[[str], None] = print,
        answer: Callable[[str], DialAnswer] | None = None,
        max_steps: int = 200,
        account_sid: str = ACCOUNT_SID,
        attestation: str | None = None,
    ) -> None:
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        self._client = client
        self._public_url = public_url.rstrip("/")
        self._signer = RequestValidator(auth_token)
        self._caller = caller
        self._hotline = hotline
        self._keys = keys
        self._out = out
        self._answer = answer or _answer_and_stay
        self._max_steps = max_steps
        self._account_sid = account_sid
        # STIR/SHAKEN's verdict on the caller's number, as Twilio passes it (StirVerstat).
        self._attestation = attestation
        self._transcript: list[Heard] = []
        self._requests: list[str] = []
        self._steps = 0

    def run(self, *, answering: str | None = None, call_sid: str | None = None) -> CallResult:
        """Ring the hotline and follow its TwiML until the call ends.

        With `answering` (a URL the hotline gave Twilio when it placed a call), the
        call goes the other way: the hotline rang `caller`, who picked up; `call_sid` is
        the id Twilio's REST API gave that call.
        """
        self._transcript, self._requests, self._steps = [], [], 0
        outbound = answering is not None
        leg = _Leg(
            name="caller",
            params=self._leg_params(
                call_sid=call_sid or _sid("CA"),
                from_=self._hotline if outbound else self._caller,
                to=self._caller if outbound else self._hotline,
                direction="outbound-api" if outbound else "inbound",
                status="in-progress" if outbound else "ringing",
            ),
            keys=self._keys,
            prefix="",
        )
        if self._attestation is not None and not outbound:
            leg.params["StirVerstat"] = self._attestation
        ended_by: EndedBy
        first = answering or self._public_url + VOICE_PATH
        try:
            ended_by = self._run_leg(leg, _Next(first, "POST", {}))
        except CallerHungUp:
            self._out("[caller hung up]")
            ended_by = "caller-hung-up"
        except _StepLimit:
            self._out(f"[stopped after {self._max_steps} TwiML documents]")
            ended_by = "max-steps"
        if ended_by == "completed":
            self._out("[call ended]")
        return CallResult(
            transcript=tuple(self._transcript),
            requests=tuple(self._requests),
            ended_by=ended_by,
        )

    def _leg_params(
        self,
        *,
        call_sid: str,
        from_: str,
        to: str,
        direction: str,
        status: str,
        parent_call_sid: str | None = None,
    ) -> dict[str, str]:
        params = {
            "AccountSid": self._account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call_sid,
            "CallStatus": status,
            "Called": to,
            "Caller": from_,
            "Direction": direction,
            "From": from_,
            "To": to,
        }
        if parent_call_sid is not None:
            params["ParentCallSid"] = parent_call_sid
        return params

    def _run_leg(self, leg: _Leg, start: _Next) -> EndedBy:
        step: _Next | EndedBy = start
        while isinstance(step, _Next):
            document = self._fetch(leg, step)
            step = self._run_document(leg, document, step.url)
        return step

    def _fetch(self, leg: _Leg, step: _Next) -> ET.Element:
        if self._steps >= self._max_steps:
            raise _StepLimit
        self._steps += 1
        response = self._send(leg, step)
        where = _where(step.url)
        if response.status_code != 200:
            raise SimulationError(f"{where} answered HTTP {response.status_code}, not TwiML")
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in _XML_TYPES:
            raise SimulationError(
                f"{where} answered HTTP 200 as {media_type or 'no content type'}, not XML"
            )
        try:
            # The XML comes from the service under test, and expat fetches no external
            # entities. (S314 is only in the project's rule set, hence RUF100 as well.)
            root = ET.fromstring(response.content)  # noqa: S314, RUF100
        except ET.ParseError as error:
            raise SimulationError(f"{where} answered HTTP 200 with broken XML: {error}") from None
        if root.tag != "Response":
            raise SimulationError(f"{where} answered HTTP 200 with <{root.tag}>, not <Response>")
        return root

    def _send(self, leg: _Leg, step: _Next) -> httpx.Response:
        # Twilio keeps the fragment (connection overrides) to itself.
        url = urldefrag(step.url).url
        target = self._local(url)
        params = {**leg.params, **step.params}
        # Transport errors (nothing listening) are left as httpx raised them, for the CLI.
        if step.method == "POST":
            signature = self._signer.compute_signature(url, params)
            response = self._client.post(target, data=params, headers={SIGNATURE_HEADER: signature})
        elif step.method == "GET":
            separator = "&" if "?" in url else "?"
            signed_url = f"{url}{separator}{urlencode(params)}"
            signature = self._signer.compute_signature(signed_url, {})
            response = self._client.get(
                self._local(signed_url), headers={SIGNATURE_HEADER: signature}
            )
        else:
            raise SimulationError(f"{_where(url)}: method {step.method!r} is not GET or POST")
        self._requests.append(target)
        # Only the very first request of a leg is made while it rings.
        leg.params["CallStatus"] = "in-progress"
        return response

    def _local(self, url: str) -> str:
        """The path and query to send through the client, for a URL under the public URL."""
        base = self._public_url
        if url == base or url.startswith((base + "/", base + "?")):
            rest = url[len(base) :]
            return rest if rest.startswith("/") else "/" + rest
        raise SimulationError(f"TwiML points at {_where(url)}, outside the public URL {base}")

    def _run_document(self, leg: _Leg, document: ET.Element, url: str) -> _Next | EndedBy:
        for verb in document:
            outcome = self._run_verb(leg, verb, url)
            if outcome is not None:
                return outcome
        return "completed"

    def _run_verb(self, leg: _Leg, verb: ET.Element, url: str) -> _Next | EndedBy | None:
        match verb.tag:
            case "Say" | "Play" | "Pause":
                self._prompt(leg, verb, url, interrupted=False)
                return None
            case "Gather":
                return self._gather(leg, verb, url)
            case "Redirect":
                target = (verb.text or "").strip()
                if not target:
                    raise SimulationError(f"{_where(url)}: <Redirect> without a URL")
                return _Next(_resolve(url, target), _method(verb), {})
            case "Hangup":
                self._line(leg, "[hangup]")
                return "hangup"
            case "Reject":
                self._line(leg, "[rejected]")
                return "rejected"
            case "Dial":
                return self._dial(leg, verb, url)
            case "Record":
                return self._record(leg, verb, url)
            case "Message":
                text = _text(verb)
                self._line(leg, f"[sms] {text}")
                self._transcript.append(Heard(kind="sms", text=text, leg=leg.name))
                return None
            case _:
                raise SimulationError(
                    f"{_where(url)}: <{verb.tag}> is not a verb this simulator runs"
                )

    def _prompt(
        self, leg: _Leg, verb: ET.Element, url: str, *, interrupted: bool, cut_short: bool = False
    ) -> None:
        line: str | None
        if verb.tag == "Say":
            text = _text(verb)
            language = verb.get("language", "en-US")
            heard = Heard(
                kind="say",
                text=text,
                language=language,
                voice=verb.get("voice"),
                interrupted=interrupted,
                leg=leg.name,
            )
            line = f"[{language}] {text}"
        elif verb.tag == "Play":
            audio = (verb.text or "").strip()
            text = _resolve(url, audio) if audio else f"digits {verb.get('digits', '')}"
            heard = Heard(kind="play", text=text, interrupted=interrupted, leg=leg.name)
            line = f"[play] {text}"
        else:
            seconds = _int(verb, "length", 1)
            heard = Heard(kind="pause", seconds=seconds, interrupted=interrupted, leg=leg.name)
            line = None
        self._transcript.append(heard)
        if line is not None and not interrupted:
            self._line(leg, line)
        elif line is not None and cut_short:
            self._line(leg, f"{line} [a key cut it short]")

    def _gather(self, leg: _Leg, gather: ET.Element, url: str) -> _Next | None:
        if "dtmf" not in gather.get("input", "dtmf").split():
            raise SimulationError(f"{_where(url)}: <Gather> without dtmf input is not simulated")
        prompts = list(gather)
        for prompt in prompts:
            if prompt.tag not in _PROMPT_VERBS:
                raise SimulationError(f"{_where(url)}: <Gather> cannot nest <{prompt.tag}>")
        hint = next((_text(p) for p in reversed(prompts) if p.tag == "Say"), "")
        # A caller who already knows the key presses it over the prompts, and Twilio
        # stops them there: what was cut off is recorded but was not heard.
        barge_in = leg.keys.eager()
        for index, prompt in enumerate(prompts):
            # A person trying the line sees where a key cut in, not a silent gap.
            self._prompt(leg, prompt, url, interrupted=barge_in, cut_short=barge_in and index == 0)
        num_digits = _int(gather, "numDigits", 0)
        digits = _digits(
            leg.keys.next_key(hint, num_digits),
            num_digits=num_digits,
            finish_on_key=gather.get("finishOnKey", "#"),
        )
        # Without an action Twilio requests the current document again.
        action = _resolve(url, gather.get("action") or url)
        if digits is not None:
            self._line(leg, f"[pressed {digits}]")
            return _Next(action, _method(gather), {"Digits": digits})
        self._line(leg, "[no key pressed]")
        if gather.get("actionOnEmptyResult", "false").lower() == "true":
            return _Next(action, _method(gather), {})
        return None

    def _dial(self, leg: _Leg, dial: ET.Element, url: str) -> _Next | None:
        if leg.name == "callee":
            raise SimulationError(f"{_where(url)}: whisper TwiML may not <Dial>")
        numbers = _numbers(dial, url)
        caller_id = dial.get("callerId") or leg.params["From"]
        answers = []
        for number, _ in numbers:
            self._line(leg, f"[dialing {number} from {caller_id}]")
            answers.append(self._answer(number))
        bridged: DialAnswer | None = None
        statuses: list[str] = []
        child_sid = ""
        # They all ring at once; the first to get through its whisper wins and the
        # rest are hung up, so nothing after the winner is tried.
        for (number, noun), answer in zip(numbers, answers, strict=True):
            child_sid = _sid("CA")
            status: str = answer.status
            self._leg_event(leg, noun, child_sid, number, caller_id, "ringing")
            whisper = noun.get("url") if noun is not None else None
            if status == "completed" and noun is not None and whisper:
                callee = _Leg(
                    name="callee",
                    params=self._leg_params(
                        call_sid=child_sid,
                        from_=caller_id,
                        to=number,
                        direction="outbound-dial",
                        status="in-progress",
                        parent_call_sid=leg.params["CallSid"],
                    ),
                    # A volunteer listens to the whisper before pressing anything.
                    keys=ScriptedKeys(answer.keys, barge_in=False),
                    prefix=_CALLEE_PREFIX,
                )
                try:
                    ended = self._run_leg(callee, _Next(_resolve(url, whisper), _method(noun), {}))
                except CallerHungUp:
                    ended = "caller-hung-up"
                # Twilio bridges only when the whisper runs out of verbs.
                if ended != "completed":
                    status = "no-answer"
            if status == "completed":
                bridged = answer
                self._line(leg, f"[connected to {number} for {answer.duration}s]")
                self._leg_event(leg, noun, child_sid, number, caller_id, "completed")
                break
            statuses.append(status)
            self._line(leg, f"[not connected to {number}: {status}]")
        action = dial.get("action")
        if not action:
            return None
        params = {"DialBridged": "false", "DialCallSid": child_sid}
        if bridged is not None:
            params |= {
                "DialBridged": "true",
                "DialCallDuration": str(bridged.duration),
                "DialCallStatus": "completed",
            }
        else:
            params["DialCallStatus"] = statuses[0] if len(set(statuses)) == 1 else "no-answer"
        return _Next(_resolve(url, action), _method(dial), params)

    def _leg_event(
        self,
        leg: _Leg,
        noun: ET.Element | None,
        child_sid: str,
        number: str,
        caller_id: str,
        event: str,
    ) -> None:
        """Post a dialled leg's status callback, when the <Number> asked for that event."""
        if noun is None or not noun.get("statusCallback"):
            return
        callback = noun.get("statusCallback", "")
        if event not in (noun.get("statusCallbackEvent") or "completed").split():
            return
        child = _Leg(
            name="callee",
            params=self._leg_params(
                call_sid=child_sid,
                from_=caller_id,
                to=number,
                direction="outbound-dial",
                status=event,
                parent_call_sid=leg.params["CallSid"],
            ),
            keys=ScriptedKeys([]),
            prefix=_CALLEE_PREFIX,
        )
        response = self._send(child, _Next(callback, "POST", {}))
        if not 200 <= response.status_code < 300:
            raise SimulationError(f"{_where(callback)} answered HTTP {response.status_code}")

    def _record(self, leg: _Leg, record: ET.Element, url: str) -> EndedBy:
        # The caller leaves a message and hangs up: Twilio still requests the action
        # (the current document by default) but runs none of the TwiML it gets back.
        self._line(leg, "[recording]")
        action = _resolve(url, record.get("action") or url)
        recording_sid = _sid("RE")
        params = {
            "CallStatus": "completed",
            "Digits": "hangup",
            "RecordingDuration": "5",
            "RecordingUrl": (
                f"https://api.twilio.com/{API_VERSION}/Accounts/{self._account_sid}"
                f"/Recordings/{recording_sid}"
            ),
        }
        response = self._send(leg, _Next(action, _method(record), params))
        if response.status_code != 200:
            raise SimulationError(f"{_where(action)} answered HTTP {response.status_code}")
        raise CallerHungUp

    def _line(self, leg: _Leg, text: str) -> None:
        self._out(leg.prefix + text)


def _answer_and_stay(number: str) -> DialAnswer:
    return DialAnswer(status="completed")


def _resolve(current: str, reference: str) -> str:
    """An absolute URL for a reference in the document fetched from `current`."""
    return urljoin(current, reference.strip())


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _is_silence(key: str) -> bool:
    return key.strip().lower() in SILENCE


def _text(element: ET.Element) -> str:
    """The words of an element, SSML tags dropped and whitespace folded."""
    return " ".join("".join(element.itertext()).split())


def _method(element: ET.Element) -> str:
    return element.get("method", "POST").upper()


def _int(element: ET.Element, name: str, default: int) -> int:
    value = element.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SimulationError(f'<{element.tag} {name}="{value}"> is not a whole number') from None


def _digits(key: str | None, *, num_digits: int, finish_on_key: str) -> str | None:
    """The Digits Twilio reports: up to the finish key, at most numDigits of them."""
    if key is None:
        return None
    if finish_on_key:
        for index, char in enumerate(key):
            if char in finish_on_key:
                key = key[:index]
                break
    if num_digits > 0:
        key = key[:num_digits]
    return key or None


def _numbers(dial: ET.Element, url: str) -> list[tuple[str, ET.Element | None]]:
    """The numbers a Dial rings, each with its <Number> noun when it has one."""
    nouns = list(dial)
    if not nouns:
        text = (dial.text or "").strip()
        if not text:
            raise SimulationError(f"{_where(url)}: <Dial> with nothing to dial")
        return [(text, None)]
    numbers: list[tuple[str, ET.Element | None]] = []
    for noun in nouns:
        if noun.tag != "Number":
            raise SimulationError(f"{_where(url)}: <Dial><{noun.tag}> is not simulated")
        number = (noun.text or "").strip()
        if not number:
            raise SimulationError(f"{_where(url)}: <Number> without a number")
        numbers.append((number, noun))
    if len(numbers) > MAX_NUMBERS:
        raise SimulationError(f"{_where(url)}: <Dial> rings at most {MAX_NUMBERS} numbers")
    return numbers


def _where(url: str) -> str:
    """A URL for an error message: the query may carry call state, so it is left out."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path
