"""stockroom api-token create|list|revoke."""

from django.core.management.base import CommandParser

from stockroom.access.tokens import api_tokens, create_api_token, revoke_api_token
from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors


def _token_data(token) -> dict:
    return {
        "id": token.pk,
        "prefix": token.prefix,
        "name": token.name,
        "user": token.user.username,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _token_row(token) -> str:
    used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
    revoked = "  REVOKED" if token.revoked_at else ""
    return f"{token.pk:>4}  {token.prefix}…  {token.user.username:<20} {token.name:<30} {used}{revoked}"


class Command(StockroomCommand):
    help = "Create, list or revoke REST API tokens. A token acts as its user, with the user's role."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="create a token; it is shown once")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for, e.g. 'label printer'")
        add_json_flag(create)
        listing = sub.add_parser("list", help="tokens (never the secret)")
        listing.add_argument("--user", default="", help="only this user's tokens")
        listing.add_argument("--all", action="store_true", help="include revoked tokens")
        add_json_flag(listing)
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="id or prefix (as shown by list)")
        add_json_flag(revoke)

    @stockroom_errors
    def handle(self, *args, **options):
        action = options["action"]
        if action == "create":
            issued = create_api_token(username=options["username"], name=options["name"])
            data = {**_token_data(issued.token), "token": issued.secret}
            emit(
                self,
                options,
                data,
                f"API token for {issued.token.user.username} ({issued.token.name}), id {issued.token.pk}:\n\n"
                f"    {issued.secret}\n\n"
                "This is the only time it is shown: store it now. "
                "Send it as 'Authorization: Bearer <token>'.",
            )
        elif action == "list":
            tokens = list(api_tokens(username=options["user"], include_revoked=options["all"]))
            rows = [_token_row(t) for t in tokens]
            emit(self, options, [_token_data(t) for t in tokens], "\n".join(rows) or "No API tokens.")
        else:
            token = revoke_api_token(reference=options["token"])
            emit(self, options, _token_data(token), f"Revoked API token {token.prefix}… ({token.name})")
