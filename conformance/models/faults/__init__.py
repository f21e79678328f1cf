"""Named faults of the reference models, kept out of the reference logic.

The reference device, Communications Hub and DCC read as the specification. Each deliberate
deviation (for the mutation tests, docs/mutation-testing.md) is a subclass of its model that
overrides one or more small, documented hook methods of the reference, in the module of its
layer: :mod:`.device_faults`, :mod:`.hub_faults`, :mod:`.dcc_faults`. Each layer has an enum of
its fault names, and a :class:`Registry` that checks the names asked for and builds the model
class with those faults switched on (the faults' subclasses combined in the enum's order).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from hanota.protocol.errors import HarnessUsageError

__all__ = ["Registry"]

M = TypeVar("M")
F = TypeVar("F", bound=enum.Enum)


class Registry(Generic[F, M]):
    """The faults of one model: ``names`` (an enum whose values are the fault names) and the
    subclass of ``base`` that implements each, registered with :meth:`implements`."""

    def __init__(self, layer: str, base: type[M], names: type[F]) -> None:
        self.layer = layer
        self.base = base
        self.names = names
        self.variants: dict[F, type[M]] = {}
        self._classes: dict[frozenset[F], type[M]] = {frozenset(): base}

    def implements(self, fault: F) -> Callable[[type[M]], type[M]]:
        """Class decorator: the subclass is ``fault``; its docstring says what the model then does."""
        def register(cls: type[M]) -> type[M]:
            if fault in self.variants or not issubclass(cls, self.base) or not cls.__doc__:
                raise TypeError(f"{self.layer} fault {fault.value}: one documented subclass of "
                                f"{self.base.__name__} each")
            self.variants[fault] = cls
            cls.faults = frozenset({fault.value})  # type: ignore[attr-defined]
            return cls
        return register

    def complete(self) -> None:
        """Raise unless every name of the enum has its subclass (checked when the module loads)."""
        missing = [f.value for f in self.names if f not in self.variants]
        if missing:
            raise TypeError(f"{self.layer} faults without an implementation: {', '.join(missing)}")

    def descriptions(self) -> dict[str, str]:
        """Fault name -> what the faulty model does (the subclass's docstring, on one line)."""
        return {f.value: " ".join((self.variants[f].__doc__ or "").split()) for f in self.names}

    def parse(self, names: Iterable[str]) -> frozenset[F]:
        """The faults named; an unknown name is a usage error naming it and the valid ones."""
        given = set(names)
        valid = {f.value: f for f in self.names}
        unknown = sorted(given - valid.keys())
        if unknown:
            raise HarnessUsageError(
                f"unknown {self.layer} faults: {', '.join(unknown)}; "
                f"valid: {', '.join(valid)}")
        return frozenset(valid[n] for n in given)

    def model(self, names: Iterable[str] = ()) -> type[M]:
        """The model class with the named faults switched on (the reference itself for none)."""
        faults = self.parse(names)
        cls = self._classes.get(faults)
        if cls is None:
            chosen = [f for f in self.names if f in faults]
            if len(chosen) == 1:
                cls = self.variants[chosen[0]]
            else:
                cls = type(f"Faulty{self.base.__name__}", tuple(self.variants[f] for f in chosen),
                           {"__doc__": "; ".join(f.value for f in chosen),
                            "faults": frozenset(f.value for f in chosen)})
            self._classes[faults] = cls
        return cls

    def markdown(self, what: str) -> str:
        """The faults as a Markdown table (docs/reference-models.md is made from it)."""
        lines = [f"| fault | {what} |", "|---|---|"]
        lines += [f"| `{name}` | {text} |" for name, text in self.descriptions().items()]
        return "\n".join(lines) + "\n"
