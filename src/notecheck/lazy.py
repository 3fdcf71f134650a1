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

    def __init__(self, spec, children: tuple[str, ...] = (), **names):
        """A package keeps its ``__path__`` (``from package import name`` asks whether it has one), so its
        submodules import without its ``__init__``."""
        super().__init__(spec.name)
        self.__spec__, self.__loader__, self.__file__ = spec, spec.loader, spec.origin
        self.__package__ = spec.name if spec.submodule_search_locations is not None else spec.parent
        if spec.submodule_search_locations is not None:
            self.__path__ = list(spec.submodule_search_locations)
        self.__dict__.update(names)
        self.__dict__["_deferred_children"] = children

    def __getattr__(self, attr: str):
        if attr == "__path__":
            raise AttributeError(attr)  # not a package: the import system asks every module
        return getattr(self._resolve(), attr)

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
