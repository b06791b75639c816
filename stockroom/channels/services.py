"""Channel-neutral write operations on accounts, listings and shipping mappings."""
