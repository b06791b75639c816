"""The Amazon simulator's ASGI app (Starlette): LWA, the SP-API operations (one module per API family in
``api/``), document URLs and the /_sim/ control API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from .api.documents import make_docs
from .api.http import make_endpoint
from .api.lwa import make_lwa
from .control import control_routes
from .state import Store
from .tables import OPERATIONS


def build_routes(store: Store) -> list[Route]:
    routes = [Route("/auth/o2/token", make_lwa(store), methods=["POST"])]
    for op in OPERATIONS:
        routes.append(Route(op.path, make_endpoint(store, op.name), methods=[op.method], name=op.name))
    feed_doc, report_doc = make_docs(store)
    routes.append(Route("/_docs/feeds/{doc_id}", feed_doc, methods=["GET", "PUT"]))
    routes.append(Route("/_docs/reports/{doc_id}", report_doc, methods=["GET"]))
    routes.extend(control_routes(store))
    return routes


def create_app(store: Store, *, state_file: str | None = None) -> Starlette:
    app = Starlette(routes=build_routes(store))
    app.state.store = store
    app.state.state_file = state_file
    return app
