"""Use cases as plain functions with keyword-only arguments. They own the transaction (one commit
at the end) and raise DomainError with a Dutch message for the user."""


class DomainError(Exception):
    """A rule of the domain was broken; `message` is shown to the user, `field` names the form
    field it belongs to (if any)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
