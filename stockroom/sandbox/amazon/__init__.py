"""Amazon Selling Partner API simulator (a separate HTTP server; never imports product code)."""
