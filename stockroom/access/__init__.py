"""Who may do what, shared by every interface (web, API, CLI) so they never import each other.

- ``roles``: the two roles, Administrator and Warehouse staff (Django groups; superusers are
  administrators).
- ``throttle``: slowing failed logins and invalid API tokens without locking the real user out.
- ``tokens`` and ``models``: REST API tokens, issued (by the CLI), authenticated (by the API), listed
  and revoked.
"""
