"""A custom Flask session tag for the tests (Flask only: no Flask-Login or Flask-WTF)."""

from __future__ import annotations

from collections import OrderedDict

from flask.json.tag import JSONTag


class TagOrderedDict(JSONTag):
    """A custom tag: sessions using it must take the stock path."""

    __slots__ = ()
    key = " od"

    def check(self, value):
        return isinstance(value, OrderedDict)

    def to_json(self, value):
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value):
        return OrderedDict(value)
