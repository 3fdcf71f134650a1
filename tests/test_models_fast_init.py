"""``models.fast_init``: the result types' ``__init__`` sets fields through their slots (or the instance dict),
not ``object.__setattr__``, and builds the same objects: same signature, defaults, equality, hash, frozenness."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from notecheck.audit.sites import Site
from notecheck.models import ClaimLine, ElementFinding, Evidence, NoteError, NoteInput, NoteResult, fast_init

FAST = [Evidence, ElementFinding, NoteError, NoteInput, ClaimLine, Site]


def _reference(cls):
    """The class as plain ``dataclass`` makes it, with the same fields (its generated ``__init__``)."""
    specs = [(f.name, f.type, dataclasses.field() if f.default is dataclasses.MISSING else dataclasses.field(default=f.default))
             for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(f"Plain{cls.__name__}", specs, frozen=True)


def _values(cls):
    return [f"v{i}" if f.default is dataclasses.MISSING else f.default for i, f in enumerate(dataclasses.fields(cls))]


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_fast_init_is_installed_and_builds_the_same_object(cls):
    assert "__setattr__" not in cls.__init__.__code__.co_names  # not the generated one
    plain = _reference(cls)
    assert [p.replace(annotation=inspect.Parameter.empty) for p in inspect.signature(cls).parameters.values()] == \
        [p.replace(annotation=inspect.Parameter.empty) for p in inspect.signature(plain).parameters.values()]
    required = [v for f, v in zip(dataclasses.fields(cls), _values(cls)) if f.default is dataclasses.MISSING]
    obj, ref = cls(*required), plain(*required)
    assert dataclasses.astuple(obj) == dataclasses.astuple(ref)
    everything = [f"x{i}" for i in range(len(dataclasses.fields(cls)))]
    obj = cls(*everything)
    assert dataclasses.astuple(obj) == tuple(everything)
    assert obj == cls(**{f.name: v for f, v in zip(dataclasses.fields(cls), everything)})
    assert hash(obj) == hash(cls(*everything))
    with pytest.raises(dataclasses.FrozenInstanceError):
        obj.__setattr__(dataclasses.fields(cls)[0].name, "changed")
    assert dataclasses.replace(obj, **{dataclasses.fields(cls)[0].name: "new"}) != obj
    assert pickle.loads(pickle.dumps(obj)) == obj


def test_fast_init_leaves_a_class_with_a_default_factory_alone():
    assert "__setattr__" in NoteResult.__init__.__code__.co_names or "__dataclass_builtins_object__" in \
        NoteResult.__init__.__code__.co_names

    @fast_init
    @dataclasses.dataclass(frozen=True)
    class WithPost:
        a: int

        def __post_init__(self):
            object.__setattr__(self, "a", self.a + 1)

    assert WithPost(1).a == 2
