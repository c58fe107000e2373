"""Models built from values the code has already checked, without validating them again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

_MAKERS: dict[type[BaseModel], Callable[..., Any]] = {}


def trusted[M: BaseModel](cls: type[M]) -> type[M]:
    """`cls` to type checkers (its keyword arguments are checked as usual); at run time a
    maker that fills the instance's fields directly, as `model_construct` does, but with
    the field table worked out once per class (pydantic's walks every field's aliases on
    each call, slower than validating). No validation, so no validator is built for it
    either. For the hot path of a solve, whose values are floats and strings the solver
    code made; a test validates whole results again (tests/test_solve_speed.py)."""
    maker = _MAKERS.get(cls)
    if maker is None:
        maker = _MAKERS[cls] = _maker(cls)
    return maker  # type: ignore[return-value]


def _maker(cls: type[BaseModel]) -> Callable[..., Any]:
    fields = cls.model_fields
    if cls.__pydantic_post_init__ or cls.__private_attributes__ or cls.model_config.get("extra") == "allow":
        return cls.model_construct  # the general path for what the short one leaves out
    rename = {f.alias: name for name, f in fields.items() if f.alias is not None and f.alias != name}
    made = {name: f.default_factory for name, f in fields.items() if f.default_factory is not None}
    plain = {name: f.default for name, f in fields.items() if not f.is_required() and name not in made}
    new = object.__new__
    put = object.__setattr__

    def make(**values: Any) -> Any:
        given = {rename.get(k, k): v for k, v in values.items()} if rename else values
        data = {**plain, **given}
        for name, factory in made.items():
            if name not in given:
                data[name] = factory()  # type: ignore[call-arg]
        m = new(cls)
        put(m, "__dict__", data)
        put(m, "__pydantic_fields_set__", set(given))
        put(m, "__pydantic_extra__", None)
        put(m, "__pydantic_private__", None)
        return m

    return make


def updated[M: BaseModel](model: M, **changes: Any) -> M:
    """`model.model_copy(update=changes)` (no validation either), without pydantic's
    general copy of every attribute: a solve copies a hundred lines or more (shelf life,
    ranges). Models with extra or private attributes take pydantic's own path."""
    cls = type(model)
    if cls.model_config.get("extra") == "allow" or model.__pydantic_private__ is not None:
        return model.model_copy(update=changes)
    m = object.__new__(cls)
    put = object.__setattr__
    put(m, "__dict__", {**model.__dict__, **changes})
    put(m, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    put(m, "__pydantic_extra__", None)
    put(m, "__pydantic_private__", None)
    return m
