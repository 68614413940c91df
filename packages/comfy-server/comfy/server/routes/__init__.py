"""Route modules; each exposes ``routes(state) -> list[starlette.routing.BaseRoute]``."""
