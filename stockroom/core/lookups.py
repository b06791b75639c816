"""``field__any=[...]``: ``field IN (...)`` with the list sent as one array on PostgreSQL.

A page of orders looks up a few hundred keys at a time (external ids, SKUs, stock items). As ``IN``
each key is its own parameter, prepared by Django and quoted by psycopg one at a time; as
``= ANY(%s)`` the list is one parameter. Same rows either way; other databases keep ``IN``.
"""

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self):
        prep = self.lhs.output_field.get_prep_value
        return [prep(value) for value in self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, [value for value in self.rhs if value is not None])


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations do not inherit Field's lookups (ids only here)
