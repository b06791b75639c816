"""Account names unique by their identity key (case, width and special spaces folded) on every database."""

from django.db import migrations

from stockroom.core.fields import identity_key_operations


class Migration(migrations.Migration):
    dependencies = [("channels", "0001_initial")]

    operations = identity_key_operations(
        "channels",
        "ChannelAccount",
        source="name",
        key="name_key",
        label="account name",
        replaces_constraint="channels_account_name_ci_unique",
    )
