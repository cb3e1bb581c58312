"""Registries: every kind of building block looked up by name and rebuilt from plain data.

Each kind (activations, losses, initializers, layers, optimizers, schedules,
preprocessing steps) has one ``Registry``: a mapping from a name to a class.
Every object of such a class describes itself with ``config()``, a dict of
plain JSON data that starts with its name, and ``registry.build(config)``
turns that dict back into an equal object through the class's
``from_config``. ``build`` also accepts a bare name (the default settings)
and an object of the kind (returned as it is), so an argument such as
``optimizer="adam"`` or ``init={"name": "uniform", "low": -1, "high": 1}``
needs no other lookup code.

This is what makes model files data only: a network's ``config()`` is built
from its parts' configs, and ``Network.from_config`` rebuilds it part by part.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from glassnet.checks import describe, shown


class Registry(Mapping):
    """Names -> classes of one kind of object.

    Parameters
    ----------
    kind : str
        What the objects are, for error messages (``"optimizer"``).
    base : type
        Their base class; ``build`` returns objects of it unchanged.
    key : str
        The config entry that holds the name (``"name"``; layers use
        ``"type"``, as model files always have).
    """

    def __init__(self, kind: str, base: type, key: str = "name"):
        self.kind, self.base, self.key = kind, base, key
        self._classes: dict[str, type] = {}

    def add(self, cls):
        """Register ``cls`` under ``cls.name`` (usable as a class decorator)."""
        self._classes[cls.name] = cls
        return cls

    def __getitem__(self, name):
        return self._classes[name]

    def __iter__(self):
        return iter(self._classes)

    def __len__(self):
        return len(self._classes)

    def build(self, spec, **context):
        """An object from itself, a registered name or a ``config()`` dict.

        ``context`` goes to ``from_config`` as keyword arguments (a fitted
        preprocessing step's arrays, for instance).
        """
        if isinstance(spec, self.base):
            return spec
        if isinstance(spec, str):
            spec = {self.key: spec}
        if not isinstance(spec, dict) or not isinstance(spec.get(self.key), str):
            article = "an" if self.base.__name__[0] in "AEIOU" else "a"
            raise TypeError(
                f"{self.kind} must be a name in {sorted(self)}, a config dict with a {self.key!r} or "
                f"{article} {self.base.__name__} object, got {describe(spec)}"
            )
        name = spec[self.key]
        if name not in self._classes:
            raise ValueError(f"unknown {self.kind} {shown(name)}; expected one of {sorted(self)}")
        return self._classes[name].from_config(spec, **context)

    def __repr__(self):
        return f"Registry({self.kind!r}: {', '.join(self)})"


class Configurable:
    """Base of every registered class: ``config()`` out, ``from_config(config)`` back in.

    A subclass sets ``name`` and lists its constructor arguments in
    ``settings`` (``config()`` and ``repr()`` show them in that order); both
    methods then work as they are. Classes whose objects
    hold more than their settings (an optimizer's state, a fitted scaler's
    arrays) extend them.
    """

    kind = ""  # what the objects are, for error messages
    name = ""
    settings: tuple[str, ...] = ()

    def config(self) -> dict:
        """The object as plain data: ``{"name": ..., **settings}``."""
        return {"name": self.name, **{k: getattr(self, k) for k in self.settings}}

    @classmethod
    def from_config(cls, config: dict):
        """The object that ``config`` describes (the inverse of ``config()``)."""
        return cls(**settings_of(cls, config))


def settings_of(cls, config: dict, key: str = "name", extra: tuple = ()) -> dict:
    """The constructor arguments in ``config``: every entry but the name, each one of ``cls.settings``.

    ``extra`` names entries that ``from_config`` handles itself (an optimizer's
    state, say); they are left out of the result.
    """
    if not isinstance(config, dict):
        raise TypeError(f"{cls.kind} config must be a dict, got {describe(config)}")
    kwargs = {k: v for k, v in config.items() if k != key and k not in extra}
    unknown = sorted(set(kwargs) - set(cls.settings), key=str)
    if unknown:
        raise ValueError(f"{cls.kind} {cls.name!r} has no setting {_few(unknown)}; its settings are "
                         f"{list(cls.settings)}")
    required = [n for n, p in inspect.signature(cls).parameters.items() if p.default is p.empty and n in cls.settings]
    missing = [n for n in required if n not in kwargs]
    if missing:
        raise ValueError(f"{cls.kind} {cls.name!r} needs the setting(s) {missing}; got {_few(sorted(kwargs, key=str))}")
    return kwargs


def _few(names) -> str:
    """A list of names for a message: on one line, each cut, no more than five of them."""
    return "[" + ", ".join(shown(name, 40) for name in names[:5]) + ", ..." * (len(names) > 5) + "]"
