"""create_app(): the composition root."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

import phonenumbers
from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from hotline import db
from hotline.callbacks import service as callbacks
from hotline.callbacks.messages import REALERT
from hotline.callers.service import PreferenceCache
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.deps import Runtime
from hotline.errors import ConfigError, HotlineError, InvalidSignature
from hotline.events.recorder import Recorder
from hotline.i18n import audio
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n.translator import Translator
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.privacy import retention
from hotline.privacy.pseudonym import Keyring, load_keyring
from hotline.privacy.vault import Vault
from hotline.rapid import router as rapid_router
from hotline.rapid import scheduled as rapid_scheduled
from hotline.rapid.service import rapid_response
from hotline.rights import resources
from hotline.rights.texts import rights_parts
from hotline.roster import router as roster_router
from hotline.routing.escalation import parse_tiers
from hotline.routing.service import RosterCache
from hotline.simulator.standin import create_standin
from hotline.sms import messages as sms_messages
from hotline.sms.flow import SmsHotline
from hotline.sms.router import STATUS_PATH as SMS_STATUS_PATH
from hotline.sms.router import close_quiet_cases
from hotline.sms.router import routes as sms_routes
from hotline.sms.service import SmsMemory
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
    keyring = keyring or load_keyring(
        settings.data_dir / "keys" / "pseudonym.json", epoch_days=settings.pseudonym_epoch_days
    )
    vault = Vault(secret)
    roster = RosterCache(engine=engine, timezone=settings.zone)
    return Runtime(
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
        roster=roster,
        tiers=tiers,
        callback_renderer=CallbackRenderer(renderer, catalogs, settings.public_url),
        rights_texts=rights_texts,
        sms=SmsHotline(
            languages=catalogs.languages,
            menu=[code for code in settings.voice_menu if catalogs.language(code).digit],
            default_language=settings.default_language,
            rights=rights_texts,
            resources={
                code: sms_resources(catalogs.translator(code), hotline.resources)
                for code in catalogs.languages
            },
        ),
        sms_memory=SmsMemory(),
        static_fallback=static_fallback,
        rapid=rapid_response(
            settings, catalogs=catalogs, vault=vault, keyring=keyring, roster=roster
        ),
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
        if settings.dispatches_in_web:
            # No worker beside this process: it escalates call-outs and queues alerts itself.
            tasks.append(
                asyncio.create_task(_every(rapid_scheduled.TICK_SECONDS, tick_rapid, runtime))
            )
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
    rapid_router.install(app)
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
            sender_rates=(
                {settings.messaging_service_sid: settings.messaging_service_rate}
                if settings.messaging_service_sid
                else {}
            ),
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
    """Expire, announce again or hand to the backup number the callbacks that are due;
    close the text cases that went quiet."""
    close_quiet_cases(runtime)
    now = datetime.now(UTC)
    settings = runtime.settings
    with db.transaction(runtime.engine) as session:
        return callbacks.tick(
            session,
            now=now,
            on_call=runtime.roster.snapshot.on_call(now),
            enabled=runtime.catalogs.languages,
            phone=runtime.open_phone,
            texts=runtime.callback_texts(REALERT),
            call_url=lambda callback_id: runtime.callback_renderer.url(
                callbacks.CALLBACK_PATH, callback_id
            ),
            backup_number=settings.backup_number,
            alerts_before_backup=settings.callback_alerts,
            realert_in=timedelta(minutes=settings.callback_realert_minutes),
            vault=runtime.vault,
            keyring=runtime.keyring,
        )


def tick_rapid(runtime: Runtime) -> rapid_scheduled.Ticked:
    """Escalate call-outs nobody took, expire incidents nobody verified, queue alerts."""
    return rapid_scheduled.tick(runtime.engine, rapid=runtime.rapid, now=datetime.now(UTC))


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
