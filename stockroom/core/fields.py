"""Model fields of the shared kernel."""

import decimal
import sys

from django.db import migrations, models
from django.utils.functional import cached_property

from stockroom.core.text import identity_key


class IdentityKeyField(models.CharField):
    """The ``identity_key`` of another field of the row, stored so a unique constraint can hold it.

    Filled on every insert and save (``bulk_create`` included) from the field named ``source``, so
    ``ÄPFEL`` and ``äpfel``, or a name with a no-break space and one with a space, meet in the same
    key on SQLite and PostgreSQL alike. Never edited by hand.
    """

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = identity_key(getattr(model_instance, self.source) or "")
        kept = getattr(model_instance, self.attname) or ""
        if kept.startswith(f"{value}#"):  # an older duplicate, set apart by ``fill_identity_keys``
            return kept
        setattr(model_instance, self.attname, value)
        return value


class MoneyField(models.DecimalField):
    """A ``DecimalField`` whose reads never fail.

    SQLite has no decimal type: it stores whatever number it is given, and Django rounds each value
    read to ``decimal_places`` in a context of ``max_digits`` digits, so one amount of 10^12 or more
    stored by an older release made every page listing it fail with ``decimal.InvalidOperation``.
    Services check amounts before writing (``core.limits.money_value``); reading keeps what is there.
    Migrations see a plain ``DecimalField``: the column is the same.
    """

    @cached_property
    def context(self):
        return decimal.Context(prec=self.max_digits + 40)

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def fill_identity_keys(model, *, source: str, key: str, label: str) -> list[str]:
    """Data migration step: store the identity key of every existing row.

    Rows that an older release let in twice under one key (``ÄPFEL`` beside ``äpfel`` on SQLite) keep
    their data: the later ones get their key suffixed with ``#<id>`` so the unique constraint can be
    added, and are returned (as "value (id N)") so the migration can name them for renaming.
    """
    seen: set[str] = set()
    clashes: list[str] = []
    for row in model.objects.order_by("pk").only("pk", source).iterator():
        value = identity_key(getattr(row, source) or "")
        if value in seen:
            clashes.append(f"{label} {getattr(row, source)!r} (id {row.pk})")
            value = f"{value}#{row.pk}"
        seen.add(value)
        model.objects.filter(pk=row.pk).update(**{key: value})
    return clashes


def identity_key_operations(
    app_label: str, model_name: str, *, source: str, key: str, label: str, replaces_constraint: str
) -> list:
    """Migration operations adding ``key`` (an ``IdentityKeyField`` of ``source``) to existing rows.

    Add the column, fill it (naming on stderr any rows ``fill_identity_keys`` set apart), make it
    unique, and drop the case-insensitive constraint it replaces.
    """

    def fill(apps, schema_editor):
        clashes = fill_identity_keys(
            apps.get_model(app_label, model_name), source=source, key=key, label=label
        )
        if clashes:
            print(
                f"\n  These differ from an earlier {label} only by case or special characters; they keep "
                "working, but rename them: " + ", ".join(clashes),
                file=sys.stderr,
            )

    name = model_name.lower()
    return [
        migrations.AddField(name, key, IdentityKeyField(max_length=400, null=True, source=source)),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(name, key, IdentityKeyField(max_length=400, source=source, unique=True)),
        migrations.RemoveConstraint(name, replaces_constraint),
    ]
