"""``python -m stockroom.sandbox.shopify``"""

from .cli import main

raise SystemExit(main())
