"""A GET route's query string parsed into its pydantic request model, as FastAPI's `Annotated[Model, Query()]` would.

FastAPI re-derives every field's aliases and sequence-ness on each request: about 0.5 ms of a 10 ms search at 100k
chunks (`make bench`, A/B over HTTP). Here the field kinds are read once; a request costs one `model_validate`.
Same rules as FastAPI: list fields take every repeated value, other fields the last one, unknown parameters meet
the model's `extra` policy, errors carry `("query", field, ...)` and go to the one validation error handler.
The OpenAPI parameters are declared from the model's JSON schema (`openapi_extra`), with its definitions inlined.
"""

from __future__ import annotations

import typing
from typing import Any, Generic, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

M = TypeVar("M", bound=BaseModel)


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every `#/$defs/X` reference replaced by X itself (parameters cannot point into `$defs`)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            siblings = {key: value for key, value in node.items() if key != "$ref"}  # description, default
            return {**_inline(definitions[ref.removeprefix("#/$defs/")], definitions), **siblings}
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        if "title" not in prop and "$ref" not in prop:  # pydantic leaves it out of `X | None`; FastAPI writes it
            prop = {**prop, "title": name.replace("_", " ").title()}
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                     "schema": _inline(prop, definitions)}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


class QueryModel(Generic[M]):
    """Dependency: `Annotated[SearchRequest, Depends(SEARCH_QUERY)]`, with `openapi_extra=SEARCH_QUERY.openapi`."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.lists = frozenset(name for name, field in model.model_fields.items() if _is_list(field.annotation))
        self.openapi: dict[str, Any] = {"parameters": openapi_parameters(model)}

    async def __call__(self, request: Request) -> M:  # no I/O: on the event loop, no thread hand-off
        params = request.query_params
        data = {key: params.getlist(key) if key in self.lists else params[key] for key in params}
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError([{**error, "loc": ("query", *error["loc"])}
                                          for error in exc.errors(include_url=False)]) from None
