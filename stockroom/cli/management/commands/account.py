"""stockroom account add|edit|list|show|check|enable|disable|set|release-held."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from django.core.management.base import CommandError, CommandParser

from stockroom.channels import selectors, services
from stockroom.cli.management.commands._output import (
    StockroomCommand,
    add_json_flag,
    emit,
    stockroom_errors,
    warn,
)
from stockroom.core.errors import InvalidInput
from stockroom.sync import accounts, consent


def _credential_fields() -> dict[str, list]:
    """credential key -> [(spec, field), ...] over every registered channel."""
    fields: dict[str, list] = {}
    for key, _ in accounts.channel_choices():
        spec = accounts.spec_of(key)
        for credential in spec.credentials:
            fields.setdefault(credential.key, []).append((spec, credential))
    return fields


def parse_secrets(text: str, spec) -> dict[str, str]:
    """Secrets from standard input: a JSON object or KEY=VALUE lines; keys are the channel's credential
    keys (client_id, ...) or their environment names (STOCKROOM_LWA_CLIENT_ID, ...)."""
    by_name = {c.key: c.key for c in spec.credentials}
    by_name.update({spec.credential_env(c).lower(): c.key for c in spec.credentials})
    pairs: dict[str, str] = {}
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                f"standard input is not valid JSON: {error.msg} (line {error.lineno})"
            ) from None
        if not isinstance(raw, dict):
            raise InvalidInput("standard input must be a JSON object of secrets")
        items = raw.items()
    else:
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "=" not in line:
                raise InvalidInput(f"standard input line {number} is not KEY=VALUE")
            key, value = line.split("=", 1)
            items.append((key, value.rstrip("\r\n")))
    for key, value in items:
        name = by_name.get(str(key).strip().lower())
        if name is None:
            raise InvalidInput(
                f"unknown secret {str(key).strip()[:40]!r} on standard input; use "
                + ", ".join(c.key for c in spec.credentials)
            )
        pairs[name] = str(value)
    return pairs


def _summary_text(summary: accounts.AccountSummary) -> str:
    state = "enabled" if summary.enabled else "DISABLED"
    check = {None: "never checked", True: "check OK", False: "check FAILED"}[summary.last_check_ok]
    return (
        f"{summary.id:>3}  {summary.name}  [{state}]  {summary.channel} {summary.seller_id} "
        f"{summary.region} {','.join(summary.marketplaces)}  ({check})"
    )


class Command(StockroomCommand):
    help = "Manage channel accounts (add, list, check, enable, disable, set options, release held shipments)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        channels = [key for key, _ in accounts.channel_choices()]
        credentials = _credential_fields()
        add = sub.add_parser(
            "add",
            help="add an account of a channel (" + ", ".join(channels) + ")",
            description="Add a channel account. Each channel asks for its own credentials:\n"
            + "\n".join(
                f"  {key}: "
                + (
                    ", ".join(f"--{c.key.replace('_', '-')}" for c in accounts.spec_of(key).credentials)
                    or "none"
                )
                for key in channels
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add.add_argument("channel", nargs="?", choices=channels, help="the channel (or --channel)")
        add.add_argument("--channel", dest="channel_option", choices=channels, metavar="CHANNEL")
        add.add_argument("--name", required=True, help="merchant name (unique, cannot be changed later)")
        add.add_argument(
            "--seller-id",
            "--account-id",
            dest="external_account_id",
            required=True,
            help="the account on the channel: seller id (merchant token), shop address ...",
        )
        add.add_argument(
            "--region", default="", help="the channel's region, if it has regions (Amazon: NA, EU, FE)"
        )
        add.add_argument("--marketplaces", default="", help="comma separated, e.g. UK,DE,FR")
        for key, declared in credentials.items():
            add.add_argument(
                f"--{key.replace('_', '-')}",
                default=None,
                help="; ".join(f"{spec.display_name}: {c.label}" for spec, c in declared),
            )
        add.add_argument(
            "--secrets-from-stdin",
            action="store_true",
            help="read the channel's credentials from standard input (JSON or KEY=VALUE lines)",
        )
        add.add_argument("--endpoint", default="", help="API base URL override (simulator, sandbox)")
        add.add_argument("--token-url", default="", help="token URL override (simulator, sandbox)")
        add_json_flag(add)

        edit = sub.add_parser(
            "edit", help="change an account (not its name); options left out keep their value"
        )
        edit.add_argument("name")
        edit.add_argument("--seller-id", "--account-id", dest="external_account_id", default=None)
        edit.add_argument("--region", default=None)
        edit.add_argument("--marketplaces", default=None)
        for key in credentials:
            edit.add_argument(f"--{key.replace('_', '-')}", default=None)
        edit.add_argument("--secrets-from-stdin", action="store_true")
        edit.add_argument(
            "--endpoint", default=None, help="empty string to go back to the channel's endpoint"
        )
        edit.add_argument("--token-url", default=None)
        add_json_flag(edit)

        listing = sub.add_parser("list", help="list accounts in synchronisation order")
        add_json_flag(listing)
        for action, text in (
            ("show", "show one account (secrets masked)"),
            ("check", "check the account's credentials with the channel"),
            ("enable", "enable synchronisation"),
            ("disable", "disable synchronisation"),
            (
                "release-held",
                "send the shipping confirmations this account held: the next sync sends each once "
                "(with its original ship date); later dispatches stay held",
            ),
        ):
            one = sub.add_parser(action, help=text)
            one.add_argument("name")
            add_json_flag(one)
        option_help: dict[str, str] = {}
        for key in channels:
            for option in accounts.spec_of(key).all_options:
                option_help.setdefault(option.key, option.help)
        connect = sub.add_parser(
            "connect",
            help="connect an account through its channel's consent page (eBay): prints the page's address; "
            "then run again with --code and the code the channel showed",
        )
        connect.add_argument("name")
        connect.add_argument("--code", default=None, help="the code the channel gave after the consent")
        add_json_flag(connect)
        setter = sub.add_parser(
            "set",
            help="set an option: " + ", ".join(option_help),
            description="Set one option of an account. Options (each channel offers its own):\n"
            + "\n".join(
                textwrap.fill(f"{name}: {text}", width=100, initial_indent="  ", subsequent_indent="    ")
                for name, text in option_help.items()
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        setter.add_argument("name")
        setter.add_argument("option")
        setter.add_argument("value")
        add_json_flag(setter)

    @stockroom_errors
    def handle(self, *args, **options):
        action = options["action"].replace("-", "_")
        return getattr(self, f"do_{action}")(options)

    # --- actions ---------------------------------------------------------------------------------------

    def _given_secrets(self, options, spec) -> dict[str, str]:
        """Credentials given as options or on standard input (the options win)."""
        secrets = {}
        if options.get("secrets_from_stdin"):
            secrets = parse_secrets((options.get("stdin") or sys.stdin).read(), spec)
        for credential in spec.credentials:
            if options.get(credential.key) is not None:
                secrets[credential.key] = options[credential.key]
        return secrets

    def _secrets(self, options, spec) -> dict[str, str]:
        secrets = self._given_secrets(options, spec)
        for credential in spec.credentials:
            env = spec.credential_env(credential)
            if credential.key not in secrets and env in os.environ:
                secrets[credential.key] = os.environ[env]
            if credential.required and secrets.get(credential.key) is None:
                raise InvalidInput(
                    f"{credential.label} is missing: pass --{credential.key.replace('_', '-')}, set {env}, "
                    "or use --secrets-from-stdin"
                )
        return secrets

    def do_add(self, options):
        channel = options.get("channel_option") or options.get("channel")
        if not channel:
            raise InvalidInput(
                "name the channel: stockroom account add --channel "
                + "|".join(key for key, _ in accounts.channel_choices())
            )
        spec = accounts.spec_of(channel)
        saved = accounts.add_account(
            channel=spec.key,
            name=options["name"],
            external_account_id=options["external_account_id"],
            region=options["region"],
            marketplaces=options["marketplaces"],
            credentials=self._secrets(options, spec),
            endpoint=options["endpoint"],
            token_url=options["token_url"],
        )
        warn(self, saved.warnings)
        summary = accounts.account_summary(saved.account)
        where = ", ".join(x for x in (summary.region, ",".join(summary.marketplaces)) if x)
        emit(
            self,
            options,
            {**summary.as_dict(), "warnings": list(saved.warnings)},
            f"Added account {summary.name} ({', '.join(x for x in (summary.seller_id, where) if x)}). "
            f"Next: stockroom account check {summary.name!r}",
        )

    def do_edit(self, options):
        account = selectors.account_by_name(options["name"])
        spec = accounts.spec_of(account.channel)
        secrets = self._given_secrets(options, spec)

        def given(option, current):
            return current if options.get(option) is None else options[option]

        saved = accounts.edit_account(
            account=account,
            external_account_id=given("external_account_id", account.external_account_id),
            region=given("region", account.region),
            marketplaces=given("marketplaces", accounts.marketplace_codes(account)),
            endpoint=given("endpoint", account.endpoint),
            token_url=given("token_url", account.token_url),
            credentials=secrets,
        )
        warn(self, saved.warnings)
        summary = accounts.account_summary(saved.account)
        changed = ", ".join(sorted(secrets)) or "no secrets"
        emit(
            self,
            options,
            {**summary.as_dict(), "warnings": list(saved.warnings)},
            f"Saved account {summary.name} ({changed} changed). Next: stockroom account check {summary.name!r}",
        )

    def do_list(self, options):
        summaries = [accounts.account_summary(a) for a in selectors.account_list()]
        text = (
            "\n".join(_summary_text(s) for s in summaries)
            or "No channel accounts yet: stockroom account add --channel "
            + "|".join(key for key, _ in accounts.channel_choices())
            + " ..."
        )
        emit(self, options, [s.as_dict() for s in summaries], text)

    def do_show(self, options):
        summary = accounts.account_summary(selectors.account_by_name(options["name"]))
        lines = [_summary_text(summary)]
        lines += [f"  {k}: {v}" for k, v in summary.credentials.items()]
        lines += [f"  option {k}: {v}" for k, v in summary.options.items()]
        if summary.endpoint:
            lines.append(f"  endpoint: {summary.endpoint}")
        if summary.held_shipments:
            lines.append(f"  held shipping confirmations: {summary.held_shipments}")
        emit(self, options, summary.as_dict(), "\n".join(lines))

    def do_check(self, options):
        account = selectors.account_by_name(options["name"])
        result = accounts.check_account(account)
        data = {
            "account": account.name,
            "ok": result.ok,
            "message": result.message,
            "marketplaces": list(result.marketplaces),
            "orders_waiting": result.orders_waiting,
            "warnings": list(result.warnings),
        }
        warn(self, result.warnings)
        if result.ok:
            waiting = "unknown" if result.orders_waiting is None else result.orders_waiting
            emit(
                self,
                options,
                data,
                f"{account.name}: OK. {result.message}\n  marketplaces: {', '.join(result.marketplaces) or '-'}\n"
                f"  orders waiting: {waiting}",
            )
            return
        if options.get("json"):
            emit(self, options, data, "")
        raise CommandError(f"{account.name}: check failed: {result.message}")

    def do_connect(self, options):
        account = selectors.account_by_name(options["name"])
        if options.get("code"):
            connected = consent.finish_consent(state=consent.consent_state(account), code=options["code"])
            emit(
                self,
                options,
                {"account": connected.name, "connected": True},
                f"{connected.name} is connected. Next: stockroom account check {connected.name!r}",
            )
            return
        started = consent.start_consent(account=account, redirect_uri="")
        emit(
            self,
            options,
            {"account": account.name, "consent_url": started.url},
            f"Open this address, sign in and agree:\n  {started.url}\nThen run: stockroom account connect "
            f"{account.name!r} --code CODE (the code the channel shows or puts in the address)",
        )

    def _enable(self, options, enabled: bool):
        account = services.set_account_enabled(
            account=selectors.account_by_name(options["name"]), enabled=enabled
        )
        word = "enabled" if enabled else "disabled (it will not be synchronised)"
        emit(self, options, {"account": account.name, "enabled": account.enabled}, f"{account.name} {word}")

    def do_enable(self, options):
        self._enable(options, True)

    def do_disable(self, options):
        self._enable(options, False)

    def do_set(self, options):
        account = accounts.set_account_option(
            account=selectors.account_by_name(options["name"]),
            option=options["option"],
            value=options["value"],
        )
        value = account.options.get(options["option"])
        emit(
            self,
            options,
            {"account": account.name, "options": accounts.effective_options(account)},
            f"{account.name}: {options['option']} = {value}",
        )

    def do_release_held(self, options):
        account = selectors.account_by_name(options["name"])
        released = accounts.release_held(account=account)
        warning = accounts.release_warning(account) if released else ""
        if released:
            warn(self, [warning])
        emit(
            self,
            options,
            {
                "account": account.name,
                "released": released,
                "warning": warning,
            },
            f"{account.name}: {released} held shipping confirmation(s) released; the next sync sends each "
            "once (later dispatches stay held)",
        )
