"""Errors every interface knows how to show: a specific message, a stable code, nothing changed.

Services raise these; the web shows ``message``, the API answers ``{"error": code, "message": ...}``
with ``http_status``, the CLI prints the message and exits non-zero.
"""


class StockroomError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {
            "error": self.code,
            "message": self.message,
            **({"details": self.details} if self.details else {}),
        }


class InvalidInput(StockroomError):
    code = "invalid_input"


class NotFound(StockroomError):
    code = "not_found"
    http_status = 404


class UnknownSku(NotFound):
    code = "unknown_sku"


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"


class InsufficientStock(StockroomError):
    code = "insufficient_stock"
    http_status = 409


class TransitionNotAllowed(StockroomError):
    code = "transition_not_allowed"
    http_status = 409


class Conflict(StockroomError):
    code = "conflict"
    http_status = 409
