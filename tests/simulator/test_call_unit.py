"""The call simulator against a tiny TwiML app that checks signatures as the service does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import Message
from twilio.twiml.voice_response import VoiceResponse

from hotline.simulator.call import (
    CallResult,
    CallSimulator,
    DialAnswer,
    InteractiveKeys,
    KeySource,
    ScriptedKeys,
    SimulationError,
    spoken,
)

PUBLIC_URL = "https://hotline.example.org"
TOKEN = "simulator-test-token"
CALLER = "+15550100001"
HOTLINE = "+15550100002"
VOLUNTEER = "+15550100003"
SID = re.compile(r"^CA[0-9a-f]{32}$")

Handler = Callable[[Mapping[str, str]], str]


@dataclass(frozen=True)
class Seen:
    """One request the fake service accepted."""

    method: str
    path: str
    query: str
    form: dict[str, str]


@dataclass(frozen=True)
class Run:
    result: CallResult
    seen: list[Seen]
    lines: list[str]

    def form(self, path: str) -> dict[str, str]:
        """The parameters of the only request made to `path`."""
        forms = [seen.form for seen in self.seen if seen.path == path]
        assert len(forms) == 1, f"{len(forms)} requests to {path}"
        return forms[0]


def twiml_app(routes: Mapping[str, Handler], seen: list[Seen]) -> FastAPI:
    """A stand-in service: it rebuilds the URL from PUBLIC_URL and checks the signature."""
    app = FastAPI()
    validator = RequestValidator(TOKEN)

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def webhook(request: Request, path: str) -> Response:
        query = request.url.query
        url = PUBLIC_URL + request.url.path + (f"?{query}" if query else "")
        if request.method == "POST":
            body = (await request.body()).decode()
            params = ImmutableMultiDict(parse_qsl(body, keep_blank_values=True))
            form = dict(params)
            signed: ImmutableMultiDict[str, str] | dict[str, str] = params
        else:
            form, signed = dict(request.query_params), {}
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(url, signed, signature):
            return Response(status_code=403)
        seen.append(Seen(request.method, request.url.path, query, form))
        handler = routes.get(request.url.path)
        if handler is None:
            return Response(status_code=404)
        return Response(handler(form), media_type="application/xml")

    return app


def simulate(
    routes: Mapping[str, Handler],
    *,
    keys: KeySource | None = None,
    answer: Callable[[str], DialAnswer] | None = None,
    auth_token: str = TOKEN,
    public_url: str = PUBLIC_URL,
    max_steps: int = 200,
) -> Run:
    seen: list[Seen] = []
    lines: list[str] = []
    with TestClient(twiml_app(routes, seen)) as client:
        simulator = CallSimulator(
            client=client,
            public_url=public_url,
            auth_token=auth_token,
            caller=CALLER,
            hotline=HOTLINE,
            keys=keys if keys is not None else ScriptedKeys([]),
            out=lines.append,
            answer=answer,
            max_steps=max_steps,
        )
        result = simulator.run()
    return Run(result, seen, lines)


def doc(build: Callable[[VoiceResponse], object]) -> Handler:
    """A handler that always answers the TwiML `build` writes."""

    def handler(form: Mapping[str, str]) -> str:
        response = VoiceResponse()
        build(response)
        return str(response)

    return handler


def menu(response: VoiceResponse) -> None:
    response.say("Welcome to the hotline.", language="en-US", voice="Polly.Joanna")
    gather = response.gather(
        action=f"{PUBLIC_URL}/twilio/voice/next?lang=en&step=menu",
        method="POST",
        num_digits=1,
        timeout=6,
        action_on_empty_result=True,
    )
    gather.say("For English, press 1.", language="en-US")
    gather.say("Para español, oprima 2.", language="es-US")


def echo_digits(form: Mapping[str, str]) -> str:
    response = VoiceResponse()
    response.say(f"You pressed {form.get('Digits', 'nothing')}.")
    response.hangup()
    return str(response)


MENU_ROUTES: dict[str, Handler] = {"/twilio/voice": doc(menu), "/twilio/voice/next": echo_digits}


def test_gather_after_the_prompts_posts_the_key_to_the_action_with_twilio_parameters() -> None:
    run = simulate(MENU_ROUTES, keys=InteractiveKeys(input_fn=lambda prompt: "2"))

    assert spoken(run.result) == [
        "Welcome to the hotline.",
        "For English, press 1.",
        "Para español, oprima 2.",
        "You pressed 2.",
    ]
    assert run.result.ended_by == "hangup"
    assert run.result.requests == ("/twilio/voice", "/twilio/voice/next?lang=en&step=menu")
    first, second = run.seen
    assert first.form["CallStatus"] == "ringing"
    assert second.form["CallStatus"] == "in-progress"
    assert SID.match(first.form["CallSid"])
    assert second.form["CallSid"] == first.form["CallSid"]
    assert second.query == "lang=en&step=menu"
    assert second.form["Digits"] == "2"
    for form in (first.form, second.form):
        assert form["AccountSid"] == "AC" + "0" * 32
        assert (form["From"], form["Caller"]) == (CALLER, CALLER)
        assert (form["To"], form["Called"]) == (HOTLINE, HOTLINE)
        assert (form["Direction"], form["ApiVersion"]) == ("inbound", "2010-04-01")
    assert "Digits" not in first.form
    assert run.lines[0] == "[en-US] Welcome to the hotline."
    assert "[es-US] Para español, oprima 2." in run.lines
    assert run.lines[-1] == "[hangup]"


def test_a_scripted_key_barges_in_and_the_cut_off_prompts_are_marked_interrupted() -> None:
    run = simulate(MENU_ROUTES, keys=ScriptedKeys(["2"]))

    assert spoken(run.result) == ["Welcome to the hotline.", "You pressed 2."]
    interrupted = [heard for heard in run.result.transcript if heard.interrupted]
    assert [heard.text for heard in interrupted] == [
        "For English, press 1.",
        "Para español, oprima 2.",
    ]
    assert interrupted[1].language == "es-US"
    assert run.result.transcript[0].voice == "Polly.Joanna"
    assert "[es-US] Para español, oprima 2." not in run.lines
    assert run.form("/twilio/voice/next")["Digits"] == "2"


def test_a_silent_gather_without_action_on_empty_result_falls_through() -> None:
    def voice(response: VoiceResponse) -> None:
        gather = response.gather(action="/twilio/voice/next", num_digits=1)
        gather.say("Press 1.")
        response.say("We did not hear a choice.")

    run = simulate({"/twilio/voice": doc(voice)}, keys=ScriptedKeys(["wait", "1"]))

    assert spoken(run.result) == ["Press 1.", "We did not hear a choice."]
    assert run.result.requests == ("/twilio/voice",)
    assert run.result.ended_by == "completed"
    assert run.lines[-1] == "[call ended]"


def test_a_silent_gather_with_action_on_empty_result_posts_without_digits() -> None:
    run = simulate(MENU_ROUTES, keys=ScriptedKeys(["-"]))

    next_form = run.form("/twilio/voice/next")
    assert "Digits" not in next_form
    assert spoken(run.result)[-1] == "You pressed nothing."


def test_digits_stop_at_the_finish_key_and_at_num_digits() -> None:
    def voice(response: VoiceResponse) -> None:
        response.gather(action="/pin", finish_on_key="#").say("Enter your code.")

    def pin(response: VoiceResponse) -> None:
        response.gather(action="/one", num_digits=1).say("One key.")

    routes = {"/twilio/voice": doc(voice), "/pin": doc(pin), "/one": echo_digits}
    run = simulate(routes, keys=ScriptedKeys(["12#9", "34"]))

    assert run.form("/pin")["Digits"] == "12"
    assert run.form("/one")["Digits"] == "3"


def test_redirect_follows_relative_and_absolute_urls() -> None:
    def voice(response: VoiceResponse) -> None:
        response.redirect("next?attempt=2")

    def after(response: VoiceResponse) -> None:
        response.say("Second attempt.")
        response.redirect(f"{PUBLIC_URL}/last?b=2&a=1", method="POST")

    def last(response: VoiceResponse) -> None:
        response.say("Goodbye.")
        response.hangup()
        response.say("Never reached.")

    routes = {"/twilio/voice": doc(voice), "/twilio/next": doc(after), "/last": doc(last)}
    run = simulate(routes)

    assert run.result.requests == ("/twilio/voice", "/twilio/next?attempt=2", "/last?b=2&a=1")
    assert spoken(run.result) == ["Second attempt.", "Goodbye."]
    assert run.result.ended_by == "hangup"


def test_a_get_action_carries_the_parameters_in_a_signed_query() -> None:
    def voice(response: VoiceResponse) -> None:
        response.gather(action="/chosen?step=1", method="GET", num_digits=1).say("Press.")

    run = simulate({"/twilio/voice": doc(voice), "/chosen": echo_digits}, keys=ScriptedKeys(["7"]))

    (chosen,) = [seen for seen in run.seen if seen.path == "/chosen"]
    assert chosen.method == "GET"
    assert chosen.form["Digits"] == "7"
    assert chosen.form["step"] == "1"
    assert spoken(run.result)[-1] == "You pressed 7."


def whisper_routes(done: list[Mapping[str, str]]) -> dict[str, Handler]:
    """A hunt for one volunteer, screened with "press 1 to accept"."""

    def voice(response: VoiceResponse) -> None:
        response.say("Connecting you to a volunteer.")
        dial = response.dial(
            action=f"{PUBLIC_URL}/dialed?attempt=1", caller_id=HOTLINE, answer_on_bridge=True
        )
        dial.number(VOLUNTEER, url=f"{PUBLIC_URL}/whisper?lang=es")

    def whisper(response: VoiceResponse) -> None:
        gather = response.gather(action="/screened", num_digits=1, timeout=8)
        gather.say("Urgent hotline call in Spanish, press 1 to accept.")
        response.hangup()

    def screened(form: Mapping[str, str]) -> str:
        response = VoiceResponse()
        if form.get("Digits") != "1":
            response.hangup()
        return str(response)

    def dialed(form: Mapping[str, str]) -> str:
        done.append(form)
        response = VoiceResponse()
        response.say(f"Dial status {form['DialCallStatus']}.")
        return str(response)

    return {
        "/twilio/voice": doc(voice),
        "/whisper": doc(whisper),
        "/screened": screened,
        "/dialed": dialed,
    }


def test_a_volunteer_who_presses_1_in_the_whisper_is_bridged() -> None:
    done: list[Mapping[str, str]] = []
    dialled: list[str] = []

    def answer(number: str) -> DialAnswer:
        dialled.append(number)
        return DialAnswer(status="completed", duration=42, keys=("1",))

    run = simulate(whisper_routes(done), answer=answer)

    assert dialled == [VOLUNTEER]
    (dial_action,) = done
    parent_sid = run.seen[0].form["CallSid"]
    whisper = run.form("/whisper")
    assert whisper["ParentCallSid"] == parent_sid
    assert SID.match(whisper["CallSid"])
    assert whisper["CallSid"] != parent_sid
    assert (whisper["From"], whisper["To"]) == (HOTLINE, VOLUNTEER)
    assert (whisper["Direction"], whisper["CallStatus"]) == ("outbound-dial", "in-progress")
    assert run.form("/screened")["Digits"] == "1"
    assert dial_action["DialCallStatus"] == "completed"
    assert dial_action["DialBridged"] == "true"
    assert dial_action["DialCallDuration"] == "42"
    assert dial_action["DialCallSid"] == whisper["CallSid"]
    assert dial_action["CallSid"] == parent_sid
    # The volunteer heard the whisper to the end; the caller never heard it.
    callee = [heard for heard in run.result.transcript if heard.leg == "callee"]
    assert [(heard.text, heard.interrupted) for heard in callee] == [
        ("Urgent hotline call in Spanish, press 1 to accept.", False)
    ]
    assert spoken(run.result) == ["Connecting you to a volunteer.", "Dial status completed."]
    assert f"[dialing {VOLUNTEER} from {HOTLINE}]" in run.lines
    assert "  (callee) [en-US] Urgent hotline call in Spanish, press 1 to accept." in run.lines
    assert f"[connected to {VOLUNTEER} for 42s]" in run.lines


def test_a_silent_volunteer_is_dropped_by_the_whisper_hangup_and_not_bridged() -> None:
    done: list[Mapping[str, str]] = []

    run = simulate(whisper_routes(done))

    (dial_action,) = done
    assert dial_action["DialCallStatus"] == "no-answer"
    assert dial_action["DialBridged"] == "false"
    assert "DialCallDuration" not in dial_action
    assert dial_action["DialCallSid"] == run.form("/whisper")["CallSid"]
    assert not any(seen.path == "/screened" for seen in run.seen)
    assert "  (callee) [hangup]" in run.lines
    assert spoken(run.result)[-1] == "Dial status no-answer."


def test_numbers_ring_together_and_the_first_that_answers_wins() -> None:
    numbers = ["+15550100011", "+15550100012", "+15550100013"]
    statuses: dict[str, DialAnswer] = {
        numbers[0]: DialAnswer(status="busy"),
        numbers[1]: DialAnswer(status="completed", duration=7),
        numbers[2]: DialAnswer(status="completed"),
    }
    done: list[Mapping[str, str]] = []

    def voice(response: VoiceResponse) -> None:
        dial = response.dial(action="/dialed")
        for number in numbers:
            dial.number(number)

    def dialed(form: Mapping[str, str]) -> str:
        done.append(form)
        return str(VoiceResponse())

    run = simulate({"/twilio/voice": doc(voice), "/dialed": dialed}, answer=statuses.__getitem__)

    assert done[0]["DialCallStatus"] == "completed"
    assert done[0]["DialCallDuration"] == "7"
    # Without a callerId, Twilio presents the caller's own number.
    assert f"[dialing {numbers[2]} from {CALLER}]" in run.lines
    assert f"[not connected to {numbers[0]}: busy]" in run.lines
    assert f"[connected to {numbers[1]} for 7s]" in run.lines
    assert not any(numbers[2] in line and "connected" in line for line in run.lines)


def test_a_dial_without_action_falls_through_to_the_next_verb() -> None:
    def voice(response: VoiceResponse) -> None:
        response.dial(VOLUNTEER)
        response.say("The volunteer has left the call.")

    run = simulate(
        {"/twilio/voice": doc(voice)}, answer=lambda number: DialAnswer(status="no-answer")
    )

    assert spoken(run.result) == ["The volunteer has left the call."]
    assert f"[not connected to {VOLUNTEER}: no-answer]" in run.lines
    assert run.result.ended_by == "completed"


def test_record_posts_a_recording_and_the_caller_hangs_up() -> None:
    def voice(response: VoiceResponse) -> None:
        response.say("Leave a message after the beep.")
        response.record(action=f"{PUBLIC_URL}/voicemail?lang=es", max_length=120, play_beep=True)
        response.say("Never reached: Record moves the call on.")

    run = simulate({"/twilio/voice": doc(voice), "/voicemail": doc(lambda r: r.say("Thanks."))})

    form = run.form("/voicemail")
    assert re.fullmatch(
        r"https://api\.twilio\.com/2010-04-01/Accounts/AC0{32}/Recordings/RE[0-9a-f]{32}",
        form["RecordingUrl"],
    )
    assert (form["RecordingDuration"], form["Digits"]) == ("5", "hangup")
    assert run.result.ended_by == "caller-hung-up"
    assert spoken(run.result) == ["Leave a message after the beep."]
    assert run.lines[-2:] == ["[recording]", "[caller hung up]"]


def test_play_pause_message_and_reject_are_run_in_order() -> None:
    def voice(response: VoiceResponse) -> None:
        response.play("https://cdn.example.org/ht/menu.wav")
        response.pause(length=2)
        response.append(Message("A copy of your rights is on its way."))
        response.reject()

    run = simulate({"/twilio/voice": doc(voice)})

    kinds = [(heard.kind, heard.text, heard.seconds) for heard in run.result.transcript]
    assert kinds == [
        ("play", "https://cdn.example.org/ht/menu.wav", None),
        ("pause", "", 2),
        ("sms", "A copy of your rights is on its way.", None),
    ]
    assert run.lines == [
        "[play] https://cdn.example.org/ht/menu.wav",
        "[sms] A copy of your rights is on its way.",
        "[rejected]",
    ]
    assert run.result.ended_by == "rejected"


def test_a_wrong_auth_token_is_refused_with_403() -> None:
    with pytest.raises(SimulationError, match="HTTP 403"):
        simulate(MENU_ROUTES, auth_token="not-the-token")


def test_signing_for_another_public_url_is_refused_with_403() -> None:
    with pytest.raises(SimulationError, match="HTTP 403"):
        simulate(MENU_ROUTES, public_url="https://elsewhere.example.org")


def test_a_url_outside_the_public_url_is_an_error() -> None:
    def voice(response: VoiceResponse) -> None:
        response.redirect("https://hotline.example.org.evil.example/twilio/voice")

    with pytest.raises(SimulationError, match="outside the public URL"):
        simulate({"/twilio/voice": doc(voice)})


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Response("<Response/>", media_type="text/plain"), "text/plain, not XML"),
        (Response("<Response><Say>", media_type="text/xml"), "broken XML"),
        (Response("<Reply/>", media_type="text/xml"), "<Reply>, not <Response>"),
        (Response("<Response><Enqueue>q</Enqueue></Response>", media_type="text/xml"), "Enqueue"),
    ],
)
def test_twiml_that_twilio_would_not_run_is_an_error(answer: Response, message: str) -> None:
    app = FastAPI()
    app.add_api_route("/twilio/voice", lambda: answer, methods=["POST"])
    with TestClient(app) as client:
        simulator = CallSimulator(
            client=client,
            public_url=PUBLIC_URL,
            auth_token=TOKEN,
            caller=CALLER,
            hotline=HOTLINE,
            keys=ScriptedKeys([]),
            out=lambda line: None,
        )
        with pytest.raises(SimulationError, match=re.escape(message)):
            simulator.run()


def test_errors_name_the_path_but_not_the_parameters() -> None:
    app = FastAPI()
    app.add_api_route("/twilio/voice", lambda: Response(status_code=500), methods=["POST"])
    with TestClient(app) as client:
        simulator = CallSimulator(
            client=client,
            public_url=PUBLIC_URL,
            auth_token=TOKEN,
            caller=CALLER,
            hotline=HOTLINE,
            keys=ScriptedKeys([]),
            out=lambda line: None,
        )
        with pytest.raises(SimulationError) as raised:
            simulator.run()
    assert str(raised.value) == f"{PUBLIC_URL}/twilio/voice answered HTTP 500, not TwiML"


def test_nothing_listening_raises_httpx_connect_error_for_the_cli_to_report() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    with httpx.Client(transport=transport, base_url="http://127.0.0.1:8000") as client:
        simulator = CallSimulator(
            client=client,
            public_url="http://127.0.0.1:8000",
            auth_token=TOKEN,
            caller=CALLER,
            hotline=HOTLINE,
            keys=ScriptedKeys([]),
            out=lambda line: None,
        )
        with pytest.raises(httpx.ConnectError):
            simulator.run()


def test_max_steps_stops_a_redirect_loop() -> None:
    run = simulate({"/twilio/voice": doc(lambda r: r.redirect("/twilio/voice"))}, max_steps=5)

    assert run.result.ended_by == "max-steps"
    assert run.result.requests == ("/twilio/voice",) * 5
    assert run.lines == ["[stopped after 5 TwiML documents]"]


def test_end_of_input_at_the_terminal_hangs_up() -> None:
    def no_more_input(prompt: str) -> str:
        raise EOFError

    run = simulate(MENU_ROUTES, keys=InteractiveKeys(input_fn=no_more_input))

    assert run.result.ended_by == "caller-hung-up"
    assert run.result.requests == ("/twilio/voice",)


def test_interactive_keys_ask_again_after_a_key_a_phone_does_not_have() -> None:
    answers = iter(["x", " 3 "])
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    keys = InteractiveKeys(input_fn=typed)

    assert keys.next_key("Press 3.") == "3"
    assert prompts == [
        "press a key (Enter for silence): ",
        "keys are 0-9, * and #; press a key (Enter for silence): ",
    ]
    assert keys.eager() is False


def test_scripted_keys_are_eager_only_when_a_key_is_next() -> None:
    keys = ScriptedKeys(["wait", "1", ""])

    assert keys.eager() is False
    assert keys.next_key("") is None
    assert keys.eager() is True
    assert keys.next_key("") == "1"
    assert keys.eager() is False
    assert keys.next_key("") is None
    assert keys.next_key("") is None
    assert keys.remaining == ()


def test_scripted_keys_refuse_what_a_keypad_cannot_press() -> None:
    with pytest.raises(ValueError, match="not keys on a phone keypad"):
        ScriptedKeys(["1", "A"])


def test_single_keys_add_up_in_a_gather_of_several_digits() -> None:
    keys = ScriptedKeys(["6", "0", "6", "2", "3", "1", "-", "2"])
    assert keys.next_key("", 5) == "60623"
    assert keys.next_key("", 1) == "1"
    assert keys.next_key("", 5) is None
    # A whole entry is one Gather's input; silence or a longer entry ends the adding up.
    keys = ScriptedKeys(["6", "06", "1"])
    assert keys.next_key("", 5) == "6"
    assert keys.next_key("", 5) == "06"
