"""What an API refusal looks like, for every router under /api/v1."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorPublic(BaseModel):
    """A refusal: 401, 403, 404 or 409."""

    error: str
    message: str


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """422: what is wrong with which field. The submitted value is never echoed."""

    detail: list[FieldProblem]
