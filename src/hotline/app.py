"""create_app(): the composition root."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

import phonenumbers
from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from hotline import db
from hotline.callbacks import service as callbacks
from hotline.callers.service import PreferenceCache
from hotline.claims.alerts import Alerts
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.deps import Runtime, tick_claims
from hotline.errors import ConfigError, HotlineError, InvalidSignature
from hotline.events.recorder import Recorder
from hotline.i18n import audio
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n.translator import Translator
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.privacy import retention
from hotline.privacy.pseudonym import Keyring, load_keyring
from hotline.privacy.vault import Vault
from hotline.rights import resources
from hotline.rights.texts import rights_parts
from hotline.roster import router as roster_router
from hotline.routing.escalation import parse_tiers
from hotline.routing.service import RosterCache
from hotline.simulator.standin import create_standin
from hotline.sms import messages as sms_messages
from hotline.sms.cases import Cases
from hotline.sms.conversation import Conversation
from hotline.sms.fast import FastPath
from hotline.sms.flow import SmsHotline, language_menu, sms_digits
from hotline.sms.flow import Text as SmsText
from hotline.sms.router import STATUS_PATH as SMS_STATUS_PATH
from hotline.sms.router import routes as sms_routes
from hotline.sms.service import SmsMemory
from hotline.sms.texting import Texting
from hotline.sms.volunteers import Volunteers
from hotline.telephony.gateway import Gateway
from hotline.telephony.signature import SignatureChecker
from hotline.telephony.twilio_gateway import TwilioGateway
from hotline.voice import flow
from hotline.voice.router import routes as voice_routes
from hotline.voice.twiml import CallbackRenderer, Renderer

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0
VOICE_PREFIX = "/twilio/voice"


def build_runtime(
    settings: Settings,
    *,
    engine: Engine | None = None,
    gateway: Gateway | None = None,
    keyring: Keyring | None = None,
) -> Runtime:
    """Everything the service needs, checked: bad settings or catalogs stop it here."""
    auth_token, secret = settings.require_secrets()
    try:
        tiers = parse_tiers(settings.escalation_tiers)
    except ValueError as error:
        raise ConfigError(f"HOTLINE_ESCALATION_TIERS: {error}") from None
    catalogs = catalog_loader.load(settings.locales_dir, settings.languages)
    hotline = flow.Hotline(
        menu=tuple(
            flow.MenuOption(code, catalogs.language(code).digit) for code in settings.voice_menu
        ),
        audio_only=frozenset(code for code, lang in catalogs.languages.items() if lang.audio_only),
        default_language=settings.default_language,
        backup_number=settings.backup_number,
        resources=resources.load(settings.resources_file),
        callback_minutes=settings.callback_minutes,
    )
    rights_texts = {
        code: tuple(rights_parts(catalogs.translator(code))) for code in catalogs.languages
    }
    renderer = Renderer(
        catalogs=catalogs,
        public_url=settings.public_url,
        recordings=audio.scan(settings.audio_dir, base_url=settings.recordings_url),
    )
    engine = engine or db.make_engine(settings.sqlalchemy_url)
    static_fallback = renderer.render(
        flow.fallback(settings.default_language, hotline).intents, None
    )
    vault = Vault(secret)
    keyring = keyring or load_keyring(
        settings.data_dir / "keys" / "pseudonym.json", epoch_days=settings.pseudonym_epoch_days
    )
    alerts = Alerts(
        vault=vault,
        keyring=keyring,
        catalogs=catalogs,
        default_language=settings.default_language,
        backup_number=settings.backup_number,
        expires_in=timedelta(minutes=settings.sms_expiry_minutes),
    )
    callback_renderer = CallbackRenderer(renderer, catalogs, settings.public_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        catalogs=catalogs,
        hotline=hotline,
        renderer=renderer,
        signatures=SignatureChecker(auth_token=auth_token, public_url=settings.public_url),
        keyring=keyring,
        recorder=Recorder(engine),
        gateway=gateway
        or TwilioGateway(
            account_sid=settings.twilio_account_sid,
            auth_token=auth_token,
            api_url=settings.effective_twilio_api_url,
        ),
        vault=vault,
        preferences=PreferenceCache(keep=timedelta(days=settings.remember_language_days)),
        roster=RosterCache(engine=engine, timezone=settings.zone),
        tiers=tiers,
        callback_renderer=callback_renderer,
        alerts=alerts,
        callbacks=callbacks.Callbacks(
            alerts=alerts,
            call_url=lambda callback_id: callback_renderer.url(
                callbacks.CALLBACK_PATH, callback_id
            ),
            alerts_before_backup=settings.callback_alerts,
            realert_in=timedelta(minutes=settings.callback_realert_minutes),
            expires_in=timedelta(minutes=settings.callback_expiry_minutes),
        ),
        rights_texts=rights_texts,
        sms=sms_hotline(settings, catalogs, rights_texts, hotline.resources),
        sms_memory=SmsMemory(),
        static_fallback=static_fallback,
    )
    runtime.texting = _texting(runtime)
    return runtime


def _texting(runtime: Runtime) -> Texting:
    """The text channel, from the parts of `runtime` it uses."""
    settings, catalogs = runtime.settings, runtime.catalogs

    def render(text: SmsText) -> str:
        if text.message is None or text.lang is None:
            return text.raw
        return catalogs.translator(text.lang)(text.message, **dict(text.params))

    def volunteer_key(number: str) -> str:
        return runtime.vault.fingerprint(number, purpose="volunteer")

    cases = Cases(alerts=runtime.alerts, idle=timedelta(minutes=settings.sms_case_idle_minutes))
    countries = frozenset(settings.sms_countries)
    return Texting(
        engine=runtime.engine,
        keyring=runtime.keyring,
        roster=runtime.roster,
        volunteer_key=volunteer_key,
        fast=FastPath(
            memory=runtime.sms_memory,
            preferences=runtime.preferences,
            recorder=runtime.recorder,
            keyring=runtime.keyring,
            roster=runtime.roster,
            volunteer_key=volunteer_key,
            hotline=runtime.sms,
            render=render,
            reply_cap=settings.sms_reply_cap,
            countries=countries,
        ),
        conversation=Conversation(
            engine=runtime.engine,
            memory=runtime.sms_memory,
            preferences=runtime.preferences,
            keyring=runtime.keyring,
            roster=runtime.roster,
            cases=cases,
            hotline=runtime.sms,
            render=render,
            reply_cap=settings.sms_reply_cap,
            countries=countries,
        ),
        volunteers=Volunteers(
            alerts=runtime.alerts,
            cases=cases,
            callbacks=runtime.callbacks,
            roster=runtime.roster,
            zone=settings.zone,
        ),
        cases=cases,
    )


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    gateway: Gateway | None = None,
    keyring: Keyring | None = None,
) -> FastAPI:
    """The hotline service for `settings`; the keywords replace parts of its runtime."""
    runtime = build_runtime(settings, engine=engine, gateway=gateway, keyring=keyring)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await to_thread.run_sync(runtime.preferences.refresh, runtime.engine)
        await to_thread.run_sync(runtime.roster.refresh)
        await to_thread.run_sync(runtime.sms_memory.refresh, runtime.engine)
        tasks = [
            asyncio.create_task(
                _every(
                    settings.preference_refresh_seconds,
                    runtime.sms_memory.refresh,
                    runtime.engine,
                )
            ),
            asyncio.create_task(_every(settings.roster_refresh_seconds, runtime.roster.refresh)),
            asyncio.create_task(runtime.recorder.run(settings.event_flush_seconds)),
            asyncio.create_task(
                _every(
                    settings.preference_refresh_seconds,
                    runtime.preferences.refresh,
                    runtime.engine,
                )
            ),
            asyncio.create_task(_every(settings.purge_interval_minutes * 60, _purge, runtime)),
        ]
        stop = threading.Event()
        dispatcher = None
        if settings.dispatches_in_web:
            dispatcher = threading.Thread(
                target=make_dispatcher(settings, runtime).run,
                args=(stop,),
                name="hotline-dispatcher",
                daemon=True,
            )
            dispatcher.start()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            stop.set()
            if dispatcher is not None:
                await to_thread.run_sync(dispatcher.join)
            await to_thread.run_sync(runtime.recorder.flush)

    app = FastAPI(
        title="hotline",
        summary="Multilingual emergency hotline: Twilio webhooks and coordinator API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    # Twilio's webhooks are plain routes: no dependency injection, no OpenAPI entry.
    # They come first, so routing reaches them without trying the others.
    app.router.routes[0:0] = [*voice_routes, *sms_routes]
    _health_routes(app, runtime)
    _error_handlers(app, runtime)
    roster_router.install(app)
    if settings.audio_dir is not None and settings.audio_base_url is None:
        app.mount("/audio", StaticFiles(directory=settings.audio_dir, check_dir=False))
    if settings.uses_local_standin:
        app.mount(
            LOCAL_STANDIN_PATH,
            create_standin(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.require_secrets()[0],
            ),
        )
    return app


def sms_hotline(
    settings: Settings,
    catalogs: catalog_loader.Catalogs,
    rights_texts: dict[str, tuple[str, ...]],
    listed: tuple[resources.Resource, ...],
) -> SmsHotline:
    """The text flow's view of this deployment: one language menu offering every language."""
    enabled = catalogs.languages
    order = [code for code in settings.voice_menu if code in enabled]
    order += [code for code in enabled if code not in order]
    digits = sms_digits([(code, catalogs.language(code).digit) for code in order])
    default = settings.default_language
    first_line = catalogs.translator(default)(sms_messages.LANGUAGE_OPTION, digit=digits[default])
    others = [(digits[code], catalogs.language(code).endonym) for code in order if code != default]
    return SmsHotline(
        languages=enabled,
        digits=digits,
        language_menu=language_menu(first_line, others),
        default_language=default,
        rights=rights_texts,
        resources={code: sms_resources(catalogs.translator(code), listed) for code in enabled},
    )


def sms_resources(t: Translator, listed: tuple[resources.Resource, ...]) -> list[str]:
    """The local resources as lines of a text message in `t`'s language."""
    frames = {
        "clinic": sms_messages.RESOURCE_CLINIC,
        "emergency": sms_messages.RESOURCE_EMERGENCY,
        "workshop": sms_messages.RESOURCE_WORKSHOP,
    }
    lines = []
    for resource in listed:
        number = phonenumbers.parse(resource.phone, "US")
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        lines.append(t(frames[resource.kind], name=resource.name, phone=phone))
    return lines


def make_dispatcher(settings: Settings, runtime: Runtime) -> Dispatcher:
    """The outbox dispatcher for these settings."""
    return Dispatcher(
        engine=runtime.engine,
        gateway=runtime.gateway,
        vault=runtime.vault,
        settings=DispatchSettings(
            rate_per_second=settings.sms_rate_per_second,
            status_callback=f"{settings.public_url}{SMS_STATUS_PATH}",
        ),
    )


async def _every(seconds: float, job: Callable[..., object], *args: object) -> None:
    """Run the blocking `job` every `seconds` in a worker thread, until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await to_thread.run_sync(job, *args)
        except Exception:
            log.exception("a background job failed; it runs again next time")


CALLBACK_TICK_SECONDS = 30.0


def tick_callbacks(runtime: Runtime) -> int:
    """The claims that are due: see deps.tick_claims."""
    return tick_claims(runtime)


def _purge(runtime: Runtime) -> None:
    retention.purge(runtime.engine, runtime.settings)


def _health_routes(app: FastAPI, runtime: Runtime) -> None:
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """The database answers and every enabled language's catalog is loaded."""
        checks = {
            "catalogs": sorted(runtime.catalogs.languages) == sorted(runtime.settings.languages)
        }
        try:
            await asyncio.wait_for(to_thread.run_sync(_ping, runtime.engine), READY_TIMEOUT_SECONDS)
            checks["database"] = True
        except Exception:
            checks["database"] = False
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _error_handlers(app: FastAPI, runtime: Runtime) -> None:
    @app.exception_handler(InvalidSignature)
    async def invalid_signature(request: Request, _error: InvalidSignature) -> PlainTextResponse:
        log.warning("rejected an unsigned or mis-signed webhook", extra={"path": request.url.path})
        return PlainTextResponse("invalid signature", status_code=403)

    @app.exception_handler(HotlineError)
    async def hotline_error(_request: Request, error: HotlineError) -> JSONResponse:
        return JSONResponse(
            {"error": error.code, "message": error.message}, status_code=error.status_code
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _error: Exception) -> Response:
        # A caller must hear something even when the failure is outside the voice
        # routes' own guard (a body that cannot be read, say).
        log.error("unexpected error", extra={"path": request.url.path})
        if request.url.path.startswith(VOICE_PREFIX):
            return Response(runtime.static_fallback, media_type="application/xml")
        return JSONResponse({"error": "internal_error"}, status_code=500)
