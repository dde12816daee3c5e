"""create_app(): the composition root."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.routing import Route

from hotline import schedule, wiring
from hotline.auth import service as auth_service
from hotline.callbacks import service as callbacks
from hotline.callers.service import PreferenceCache
from hotline.claims.alerts import Alerts
from hotline.config import LOCAL_STANDIN_PATH, Settings
from hotline.console import router as console_router
from hotline.deps import Runtime
from hotline.errors import ConfigError, HotlineError, InvalidSignature
from hotline.events.recorder import Recorder
from hotline.events.spool import Spool, SpoolError
from hotline.i18n import audio
from hotline.i18n import catalogs as catalog_loader
from hotline.i18n.audio import Recordings
from hotline.i18n.detect import LanguageGuess
from hotline.limits import Authenticate, RequestLimits
from hotline.outbox.caps import RightsLedger
from hotline.outbox.dispatcher import Dispatcher, DispatchSettings
from hotline.privacy.pseudonym import Keyring, key_file_matches
from hotline.privacy.vault import Vault
from hotline.rapid import router as rapid_router
from hotline.rapid.service import rapid_response
from hotline.rights import resources
from hotline.rights.texts import rights_parts
from hotline.roster import router as roster_router
from hotline.routing.escalation import parse_tiers
from hotline.routing.service import RosterCache
from hotline.simulator.standin import create_standin
from hotline.sms.paths import STATUS_PATH as SMS_STATUS_PATH
from hotline.sms.router import routes as sms_routes
from hotline.sms.service import SmsMemory
from hotline.telephony.gateway import Gateway
from hotline.telephony.signature import SignatureChecker
from hotline.telephony.twilio_gateway import TwilioGateway
from hotline.voice import flow, intents
from hotline.voice.router import routes as voice_routes
from hotline.voice.twiml import CallbackRenderer, Renderer

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0
# Rows a dispatcher sends at once: one request Twilio leaves hanging holds up no other.
SEND_WORKERS = 8
VOICE_PREFIX = "/twilio/voice"


def build_runtime(
    settings: Settings,
    *,
    engine: Engine,
    keyring: Keyring,
    gateway: Gateway | None = None,
) -> Runtime:
    """Everything the service needs, checked: bad settings or catalogs stop it here."""
    auth_token, secret = settings.require_secrets()
    try:
        tiers = parse_tiers(settings.escalation_tiers)
    except ValueError as error:
        raise ConfigError(f"HOTLINE_ESCALATION_TIERS: {error}") from None
    catalogs = catalog_loader.load(settings.locales_dir, settings.languages)
    guess = LanguageGuess(catalogs.languages)
    hotline = intents.Hotline(
        menu=tuple(
            intents.MenuOption(code, catalogs.language(code).digit) for code in settings.voice_menu
        ),
        audio_only=frozenset(code for code, lang in catalogs.languages.items() if lang.audio_only),
        default_language=settings.default_language,
        backup_numbers=settings.backup_numbers,
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
    vault = Vault(secret)
    spool = Spool(
        directory=settings.spool_dir,
        vault=vault,
        engine=engine,
        codec=wiring.spool_codec(),
        apply=lambda session, writes: None,
    )
    static_fallback = renderer.render(
        flow.fallback(settings.default_language, hotline).intents, None
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
    roster = RosterCache(engine=engine, timezone=settings.zone)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        catalogs=catalogs,
        hotline=hotline,
        renderer=renderer,
        signatures=SignatureChecker(auth_token=auth_token, public_url=settings.public_url),
        keyring=keyring,
        recorder=Recorder(engine, spool),
        gateway=gateway
        or TwilioGateway(
            account_sid=settings.twilio_account_sid,
            auth_token=auth_token,
            api_url=settings.twilio_api_url,
        ),
        vault=vault,
        preferences=PreferenceCache(keep=timedelta(days=settings.remember_language_days)),
        roster=roster,
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
        sms=wiring.sms_hotline(settings, catalogs, rights_texts, hotline.resources, guess=guess),
        sms_memory=SmsMemory(),
        static_fallback=static_fallback,
        rights_ledger=RightsLedger(),
        spool=spool,
        rapid=rapid_response(
            settings, catalogs=catalogs, vault=vault, keyring=keyring, roster=roster
        ),
    )
    runtime.texting = wiring.texting(runtime)
    spool.apply = wiring.spool_apply(runtime)
    return runtime

    spool.apply = wiring.spool_apply(runtime)
    return runtime


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    keyring: Keyring,
    gateway: Gateway | None = None,
) -> FastAPI:
    """The hotline service for `settings`; `gateway` replaces Twilio's REST API."""
    runtime = build_runtime(settings, engine=engine, gateway=gateway, keyring=keyring)
    scheduler = schedule.Scheduler(
        schedule.jobs(runtime), engine=runtime.engine, lock_dir=settings.data_dir / "locks"
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await to_thread.run_sync(runtime.preferences.refresh, runtime.engine)
        await to_thread.run_sync(runtime.roster.refresh)
        await to_thread.run_sync(runtime.sms_memory.refresh, runtime.engine)
        # The language guess's models: a couple of seconds, once per process.
        await to_thread.run_sync(runtime.sms.reports.warm)
        await to_thread.run_sync(
            lambda: runtime.rights_ledger.refresh(runtime.engine, now=datetime.now(UTC))
        )
        tasks = [asyncio.create_task(runtime.recorder.run(settings.event_flush_seconds))]
        tasks += scheduler.tasks()
        stop = threading.Event()
        schedule.start_listening(runtime, stop)
        dispatcher = None
        if settings.dispatches_in_web:
            dispatcher = threading.Thread(
                target=make_dispatcher(settings, runtime, workers=SEND_WORKERS).run,
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
            runtime.spool.close()

    app = FastAPI(
        title="hotline",
        summary="Multilingual emergency hotline: Twilio webhooks and coordinator API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.add_middleware(RequestLimits, authenticate=api_token_check(runtime))
    # Twilio's webhooks are plain routes: no dependency injection, no OpenAPI entry.
    # They come first, so routing reaches them without trying the others.
    app.router.routes[0:0] = [*sms_routes, *voice_routes]
    _health_routes(app, runtime)
    _error_handlers(app, runtime)
    roster_router.install(app)
    rapid_router.install(app)
    if settings.audio_dir is not None and settings.audio_base_url is None:
        app.router.routes.append(audio_route(runtime.renderer.recordings))
    # Last: the console's error pages wrap the handlers installed before it.
    console_router.install(app)
    if settings.is_demo:
        app.mount(
            LOCAL_STANDIN_PATH,
            create_standin(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.require_secrets()[0],
                public_url=settings.public_url,
            ),
        )
    return app


def api_token_check(runtime: Runtime) -> Authenticate:
    """Whether an Authorization header holds a valid API token, asked before any body of
    an API request is read."""

    def valid(token: str) -> bool:
        try:
            with Session(runtime.engine) as session:
                auth_service.authenticate(session=session, token=token)
        except auth_service.Unauthorized:
            return False
        except SQLAlchemyError:
            # The route itself will say the database is down.
            return True
        return True

    async def check(header: bytes | None) -> bool:
        scheme, _, token = (header or b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return await to_thread.run_sync(valid, token.strip())

    return check


def audio_route(recordings: Recordings) -> Route:
    """/audio/<language>/<file>: the recorded prompts the scan found, and nothing else."""

    async def recording(request: Request) -> Response:
        params = request.path_params
        found = recordings.file(str(params["code"]), str(params["name"]))
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(found)

    return Route("/audio/{code}/{name}", recording, methods=["GET", "HEAD"])


def run_worker(runtime: Runtime, stop: threading.Event) -> None:
    """`hotline worker`: every periodic job, and the dispatcher, until `stop` is set."""
    scheduler = schedule.Scheduler(
        schedule.jobs(runtime),
        engine=runtime.engine,
        lock_dir=runtime.settings.data_dir / "locks",
    )
    runtime.roster.refresh()
    schedule.start_listening(runtime, stop)
    threads = scheduler.run_blocking(stop)
    make_dispatcher(runtime.settings, runtime, workers=SEND_WORKERS).run(stop)
    for thread in threads:
        thread.join()


def make_dispatcher(settings: Settings, runtime: Runtime, *, workers: int = 1) -> Dispatcher:
    """The outbox dispatcher for these settings; `workers` rows are sent at once."""
    return Dispatcher(
        engine=runtime.engine,
        gateway=runtime.gateway,
        vault=runtime.vault,
        keyring=runtime.keyring,
        settings=DispatchSettings(
            rate_per_second=settings.sms_rate_per_second,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            status_callback=f"{settings.public_url}{SMS_STATUS_PATH}",
            workers=workers,
            countries=frozenset(settings.sms_countries),
            recipient_segments_per_day=settings.recipient_segments_per_day,
            exempt=frozenset(settings.backup_numbers),
            delete_from_twilio=settings.delete_from_twilio,
            sender_rates=(
                {settings.messaging_service_sid: settings.messaging_service_rate}
                if settings.messaging_service_sid
                else {}
            ),
        ),
    )


def _health_routes(app: FastAPI, runtime: Runtime) -> None:
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Whether the service can do all it promises: the database answers and takes
        writes, the spool can be written, the keys are the ones on disk, its own action
        URLs verify, every enabled language's catalog is loaded."""
        checks = {
            "catalogs": sorted(runtime.catalogs.languages) == sorted(runtime.settings.languages),
            "writes": runtime.recorder.writing,
            "keys": key_file_matches(runtime.keyring),
            "signatures": runtime.signatures.verifies_own_urls(),
        }
        try:
            await asyncio.wait_for(to_thread.run_sync(_ping, runtime.engine), READY_TIMEOUT_SECONDS)
            checks["database"] = True
        except Exception:
            checks["database"] = False
        try:
            await to_thread.run_sync(runtime.spool.check_writable)
            checks["spool"] = True
        except SpoolError:
            checks["spool"] = False
        ready = all(checks.values())
        backlog = await to_thread.run_sync(lambda: runtime.spool.backlog)
        body = {"status": "ready" if ready else "not ready", "checks": checks, "spooled": backlog}
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
