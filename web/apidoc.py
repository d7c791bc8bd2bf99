"""What a view tells the API document (web/openapi.py builds it): `documented` marks a view with its
`Operation`. Apart from the builder, so the views import this and the builder imports the views, with no
circle between them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Operation:
    """What a view tells the document: see `documented`."""

    summary: str
    answer: type[BaseModel]
    description: str
    operation_id: str
    status: str = "200"
    many: bool = False
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    errors: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


def documented(summary: str, answer: type[BaseModel], description: str, *, operation_id: str, status: int = 200,
               many: bool = False, body: type[BaseModel] | None = None, body_required: bool = True,
               query: type[BaseModel] | None = None, errors: tuple[int, ...] = (),
               headers: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Mark a view for the document: `answer` (a list of them where `many`) with `status` and its
    `description`; `body` and `query` the models it validates with; `errors` the statuses it may give
    besides the token's (401, 403 for staff), 429 and 503. 400 and 413 come with a body, 404 with an id
    in the path; `headers` the request headers it reads (web.openapi.HEADERS says each). Put it right under the
    route decorator."""
    operation = Operation(summary, answer, description, operation_id, str(status), many, body, body_required, query,
                          tuple(str(code) for code in errors), headers)

    def mark(view: View) -> View:
        view.openapi = operation  # type: ignore[attr-defined]
        return view
    return mark
