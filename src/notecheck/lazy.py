"""Parts of spaCy and medspaCy that notecheck never runs, imported only when something asks for them.

Importing a package runs its ``__init__`` first, whichever submodule is wanted, and two of ours import far more
than notecheck uses (issue 18: a one-note scan spent most of its start-up importing):

- ``spacy/__init__`` imports ``spacy.cli`` (for ``spacy.info``), and with it requests, jinja2, weasel and typer's
  spaCy commands; ``spacy.util`` imports langcodes (and its tables) to match language names, which a blank
  English pipeline never does;
- ``medspacy/__init__`` imports every medspaCy component (PyRuSH and loguru, pysbd, the sectionizer ...), and
  ``medspacy.util``, which notecheck's matcher needs, imports QuickUMLS and nltk.

``defer()`` runs when this module is imported (first thing in ``notecheck/__init__``), before spaCy or medspaCy
is imported, and puts a ``Deferred`` module in ``sys.modules`` for each of ``spacy.cli``, ``spacy.cli.info``,
``langcodes``, ``quickumls`` and ``quickumls.spacy_component``, and a ``medspacy`` package whose ``__init__`` has
not run yet. Each has the real module's spec, file and package path: a submodule imports as usual, without its
package's ``__init__`` (it is set on the stand-in as a module until the package is used). The first use of a name such a module does not have imports the real module (or runs medspaCy's ``__init__``) and
hands it over: ``spacy.cli.download``, ``spacy.info()``, ``medspacy.load()`` and ``python -m spacy`` work as
before, only later. medspaCy's ``__init__`` also imports QuickUMLS for real (its component registers the
``medspacy_quickumls`` factory) and silences loguru again (``quiet``). Nothing is deferred when a module is
imported already.

``spacy.pipeline`` is deferred too: ``spacy/__init__`` imports it to register the factories of spaCy's own
components (parser, NER, tagger, entity ruler ... and spacy.ml's model architectures), none of which notecheck
adds. Its one name notecheck's path needs, ``Lemmatizer`` (``spacy.lang.en`` subclasses it), comes from its own
submodule. Those factories and architectures are looked up by name in spaCy's registries, not as attributes:
once notecheck is imported (``guard_registries``) a name that any of spaCy's registries lacks imports
``spacy.pipeline`` for real, then is looked up again, and so does reading ``Language.factories`` (spaCy's
snapshot of that registry), so ``nlp.add_pipe("sentencizer")``, ``spacy.load(...)``, ``nlp.factory_names`` and
``registry.architectures.get(...)`` find what they found before (tests/test_startup_lazy.py).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable, Iterator


class Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for module ``spec.name`` until a name it lacks is asked for; then it imports the
    real module, takes its namespace (so references already held keep working) and gives it that name."""

    def __init__(self, spec, children: tuple[str, ...] = (), served: dict[str, str] | None = None, **names):
        """A package keeps its ``__path__`` (``from package import name`` asks whether it has one), so its
        submodules import without its ``__init__``. ``served``: names taken from a submodule (name -> its
        module) when asked for, without the real module."""
        super().__init__(spec.name)
        self.__spec__, self.__loader__, self.__file__ = spec, spec.loader, spec.origin
        self.__package__ = spec.name if spec.submodule_search_locations is not None else spec.parent
        if spec.submodule_search_locations is not None:
            self.__path__ = list(spec.submodule_search_locations)
        self.__dict__.update(names)
        self.__dict__["_deferred_children"] = children
        self.__dict__["_deferred_served"] = dict(served or {})

    def __getattr__(self, attr: str):
        if attr == "__path__":
            raise AttributeError(attr)  # not a package: the import system asks every module
        module = self.__dict__["_deferred_served"].get(attr)
        if module is not None:
            value = self.__dict__[attr] = getattr(importlib.import_module(module), attr)
            return value
        return getattr(self._resolve(), attr)

    @property
    def deferred(self) -> bool:
        """Whether the real module is still to be imported."""
        return sys.modules.get(self.__name__) is self

    def _resolve(self) -> types.ModuleType:
        name = self.__name__
        parent, _, leaf = name.rpartition(".")
        if isinstance(sys.modules.get(parent), Deferred):
            sys.modules[parent]._resolve()  # a package first: the real child is imported from the real package
        for child in self.__dict__["_deferred_children"]:
            if isinstance(sys.modules.get(child), Deferred):
                del sys.modules[child]
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        if parent and parent in sys.modules:
            setattr(sys.modules[parent], leaf, real)
        self.__dict__.update(real.__dict__)
        return real


class DeferredPackage(types.ModuleType):
    """A package whose submodules import as usual, with its ``__init__`` run on first use of a name it lacks."""

    def __init__(self, spec, after: Callable[[], None]):
        super().__init__(spec.name)
        self.__spec__, self.__loader__ = spec, spec.loader
        self.__file__, self.__path__, self.__package__ = spec.origin, list(spec.submodule_search_locations), spec.name
        self.__dict__["_deferred_after"] = after

    def __getattr__(self, attr: str):
        if "_deferred_after" not in self.__dict__:
            raise AttributeError(attr)
        after = self.__dict__.pop("_deferred_after")
        self.__spec__.loader.exec_module(self)
        after()
        return getattr(self, attr)


def _spacy_info(*args, **kwargs):
    """``spacy.info``, imported when called."""
    return sys.modules["spacy.cli.info"].info(*args, **kwargs)


def _medspacy_used() -> None:
    quickumls = sys.modules.get("quickumls.spacy_component")
    if isinstance(quickumls, Deferred):
        quickumls._resolve()
    from . import quiet

    quiet.silence_libraries()


def _spec(name: str, path: list[str] | None = None):
    """The spec of a module, found without importing it or its package."""
    return importlib.machinery.PathFinder.find_spec(name, path)


def defer() -> None:
    """Put the stand-ins in place (once; only for modules not imported yet, and only those installed)."""
    spacy = _spec("spacy") if "spacy" not in sys.modules else None
    if spacy is not None and spacy.submodule_search_locations is not None:
        pipeline = _spec("spacy.pipeline", list(spacy.submodule_search_locations))
        if pipeline is not None and pipeline.submodule_search_locations is not None and _spec(
                "spacy.pipeline.lemmatizer", list(pipeline.submodule_search_locations)) is not None:
            sys.modules["spacy.pipeline"] = Deferred(pipeline, served={"Lemmatizer": "spacy.pipeline.lemmatizer"})
        langcodes = _spec("langcodes")
        if langcodes is not None and "langcodes" not in sys.modules:
            sys.modules["langcodes"] = Deferred(langcodes)
        cli = _spec("spacy.cli", list(spacy.submodule_search_locations))
        info = _spec("spacy.cli.info", list(cli.submodule_search_locations)) if cli is not None else None
        if info is not None:
            sys.modules["spacy.cli.info"] = Deferred(info, info=_spacy_info)
            sys.modules["spacy.cli"] = Deferred(cli, children=("spacy.cli.info",), info=_spacy_info)
            import spacy as spacy_module

            spacy_module.cli = sys.modules["spacy.cli"]
    quickumls = _spec("quickumls") if "quickumls" not in sys.modules else None
    if quickumls is not None and quickumls.submodule_search_locations is not None:
        component = _spec("quickumls.spacy_component", list(quickumls.submodule_search_locations))
        if component is not None:
            sys.modules["quickumls.spacy_component"] = Deferred(component)
            sys.modules["quickumls"] = Deferred(quickumls, children=("quickumls.spacy_component",),
                                                spacy_component=sys.modules["quickumls.spacy_component"])
    medspacy = _spec("medspacy") if "medspacy" not in sys.modules else None
    if medspacy is not None and medspacy.submodule_search_locations is not None:
        sys.modules["medspacy"] = DeferredPackage(medspacy, _medspacy_used)


def _spacy_pipeline() -> None:
    """Import ``spacy.pipeline`` for real (its factories and architectures register), if still deferred, and
    take the registries' guard off."""
    for reg in _GUARDED:  # first: the import below registers names, asking first whether they are taken
        reg.__class__ = reg.__dict__.pop("_deferred_class")
    _GUARDED.clear()
    snapshots = _SNAPSHOTS[:]
    _SNAPSHOTS.clear()
    pipeline = sys.modules.get("spacy.pipeline")
    if isinstance(pipeline, Deferred) and pipeline.deferred:
        pipeline._resolve()
    if snapshots:
        from spacy.util import registry

        every = registry.factories.get_all()
        for snapshot in snapshots:
            dict.update(snapshot, every)  # what spaCy's own snapshot holds, for a reference held to it too


_GUARDED: list = []
_SNAPSHOTS: list = []  # Language.factories of each Language class, until spacy.pipeline is imported
# the registries that importing spacy.pipeline adds names to (spaCy 3.7: its components' factories, spacy.ml's
# architectures and layers, scorers, misc functions, callbacks); tests/test_startup_lazy.py checks the list
PIPELINE_REGISTRIES = ("factories", "architectures", "layers", "scorers", "misc", "callbacks")


class _Guard:
    """Mixed into a registry's class: before it answers that it lacks a name, or lists its names, the deferred
    ``spacy.pipeline`` is imported (``_spacy_pipeline`` also gives the registry its own class back)."""

    def __contains__(self, name: str) -> bool:
        if super().__contains__(name) or not self._may_add(name):
            return super().__contains__(name)
        _spacy_pipeline()
        return name in self

    def get(self, name: str):
        if not super().__contains__(name) and self._may_add(name):
            _spacy_pipeline()
            return self.get(name)
        return super().get(name)

    def _may_add(self, name: str) -> bool:
        """Whether importing spacy.pipeline could add ``name``: not a language's own factory ("en.lemmatizer" is
        spacy.lang.en's; ``add_pipe`` asks for "en.NAME" first, then NAME), as spacy.pipeline registers none."""
        return not (self.namespace == ("spacy", "internal_factories") and "." in name)

    def get_all(self):
        _spacy_pipeline()
        return self.get_all()


_READS = ("__getitem__", "__contains__", "__iter__", "__len__", "__eq__", "__repr__", "keys", "values", "items", "get", "copy")


def _snapshot_class(base: type) -> type:
    """``Language.factories`` is a snapshot of the factories registry (a frozen dict that spaCy makes again at
    each factory's registration): one made before spacy.pipeline is imported imports it when read."""

    def read(name):
        def method(self, *args, **kwargs):
            _spacy_pipeline()
            return getattr(dict, name)(self, *args, **kwargs)

        method.__name__ = name
        return method

    return type(f"Deferred{base.__name__}", (base,), {name: read(name) for name in _READS})


def guard_registries() -> None:
    """While ``spacy.pipeline`` is deferred, each of spaCy's registries it adds to (PIPELINE_REGISTRIES) imports
    it before it reports a name missing or lists its names. Called once notecheck's own modules (and the
    factories they register) are loaded: registering a new name asks first whether it is taken."""
    pipeline = sys.modules.get("spacy.pipeline")
    if not (isinstance(pipeline, Deferred) and pipeline.deferred) or _GUARDED:
        return
    from spacy.util import registry

    classes: dict[type, type] = {}
    for name in PIPELINE_REGISTRIES:
        reg = getattr(registry, name, None)
        if reg is None or "_deferred_class" in vars(reg):
            continue
        base = type(reg)
        if base not in classes:
            classes[base] = type(f"Guarded{base.__name__}", (_Guard, base), {})
        reg.__dict__["_deferred_class"] = base
        reg.__class__ = classes[base]
        _GUARDED.append(reg)
    from spacy.language import Language

    todo, snapshot = [Language], None
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        factories = vars(cls).get("factories")
        if factories is not None and type(factories) is not dict:
            snapshot = snapshot or _snapshot_class(type(factories))
            cls.factories = snapshot(factories, error=factories.error)
            _SNAPSHOTS.append(cls.factories)


@contextlib.contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """No garbage collection inside the block; with ``freeze``, what is alive at its end goes to the permanent
    generation (``gc.freeze()``), which collections skip. Loading modules and building a pipeline make hundreds
    of thousands of objects that stay alive: the collector walked them about 200 times in a one-note scan's
    start-up (60-80 ms of it) to free nothing, and once more in full at the first collection after a pause
    without a freeze (50-90 ms)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


with gc_paused(freeze=True):  # the modules spaCy imports live as long as the process
    defer()
