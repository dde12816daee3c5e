"""The Indicators page and its CSV, and the Languages page: for coordinators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hotline.console import charts, indicators, web
from hotline.deps import RuntimeDep, SessionDep
from hotline.i18n import audio
from hotline.i18n import tools as i18n_tools

router = APIRouter()


def _indicator_lines(session: SessionDep, runtime: RuntimeDep) -> list[indicators.Line]:
    return indicators.lines(session, languages=list(runtime.catalogs.languages))


@router.get("/indicators")
def indicators_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    viewer: web.Seen,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """Per month: calls, texts, urgent calls and their waits, callbacks, dispositions."""
    viewer.require_coordinator()
    months = indicators.months_back(datetime.now(UTC), 12)
    chosen = month if month in months[1:] else months[-1]
    previous = months[months.index(chosen) - 1]
    found = _indicator_lines(session, runtime)
    answered = indicators.answered_of(found)
    six = months[-6:]

    def chart(metric: str, title: str) -> Any:
        line = next(item for item in found if item.metric == metric and not item.key)
        columns = []
        for m in six:
            value = indicators.shown(line, m, answered)
            number = None if value == indicators.HIDDEN else float(value)
            columns.append(charts.Column(m[2:], number, value))
        return charts.bar_chart(columns, title=title)

    t = viewer.t
    return web.render(
        request,
        "indicators.html",
        viewer=viewer,
        months=months,
        month=chosen,
        previous=previous,
        lines=found,
        answered=answered,
        shown=indicators.shown,
        change=indicators.change,
        charts=[
            (title, chart(metric, title))
            for metric, title in (
                ("calls", t.plain("Calls")),
                ("urgent", t.plain("Urgent calls")),
                ("answer_median", t.plain("Seconds to answer, median")),
            )
        ],
    )


@router.get("/indicators.csv")
def indicators_csv(session: SessionDep, runtime: RuntimeDep, viewer: web.Seen) -> Response:
    """The Indicators table for the last twelve months, as CSV."""
    viewer.require_coordinator()
    months = indicators.months_back(datetime.now(UTC), 12)
    body = indicators.to_csv(_indicator_lines(session, runtime), months)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            **web.HEADERS,
            "Content-Disposition": 'attachment; filename="indicators.csv"',
        },
    )


@router.get("/languages")
def languages_page(request: Request, runtime: RuntimeDep, viewer: web.Seen) -> Response:
    """Each catalog: how complete, whether a lawyer reviewed it, recordings still missing."""
    viewer.require_coordinator()
    settings = runtime.settings
    recordings = audio.scan(settings.audio_dir, base_url=settings.recordings_url)
    reports = [
        (language, i18n_tools.check_catalog(settings.locales_dir, language, recordings=recordings))
        for language in runtime.catalogs.languages.values()
    ]
    return web.render(request, "languages.html", viewer=viewer, reports=reports)
