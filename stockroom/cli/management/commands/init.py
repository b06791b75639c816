"""stockroom init: set up (or check) an installation. Running it again changes nothing and says so."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q

from stockroom.access.roles import ADMINISTRATOR as ADMINISTRATOR_GROUP
from stockroom.cli.management.commands._output import StockroomCommand
from stockroom.inventory.locks import default_location
from stockroom.inventory.models import Location


def pending_migrations() -> list:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def administrators():
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name=ADMINISTRATOR_GROUP), is_active=True)
        .distinct()
    )


class Command(StockroomCommand):
    help = (
        "Set up the database (migrate), the default location and a first administrator. "
        "Safe to run again: it only does what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin-username", default="admin")
        parser.add_argument(
            "--admin-password",
            default="",
            help="password of the first administrator (default: a generated one, printed once)",
        )

    def handle(self, *args, **options):
        done = []
        plan = pending_migrations()
        if plan:
            call_command("migrate", interactive=False, verbosity=0)
            done.append(f"Database set up: {len(plan)} migration(s) applied.")
        if not Location.objects.filter(is_default=True).exists():
            done.append(f"Default location created: {default_location().name}.")
        existing = administrators().order_by("pk").first()
        if existing is None:
            done.append(self.create_administrator(options["admin_username"], options["admin_password"]))
        if done:
            self.stdout.write("\n".join(done))
        else:
            admin = f"administrator {existing.username} exists" if existing else "an administrator exists"
            self.stdout.write(f"Nothing to do: the database is up to date, the default location and {admin}.")

    def create_administrator(self, username: str, password: str) -> str:
        username = (username or "").strip()
        if not username:
            raise CommandError("--admin-username cannot be empty")
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"a user named {username} exists but is not an active administrator; "
                "choose another --admin-username, or make that user an administrator"
            )
        generated = not password
        password = password or secrets.token_urlsafe(12)
        user = User(username=username, is_staff=True, is_superuser=True)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(f"--admin-password is not acceptable: {' '.join(error.messages)}") from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            group = Group.objects.filter(name=ADMINISTRATOR_GROUP).first()
            if group:
                user.groups.add(group)
        shown = f", password {password}" if generated else " (with the password you gave)"
        note = " This password is shown once: log in and change it." if generated else ""
        return f"Administrator created: username {username}{shown}.{note}"
