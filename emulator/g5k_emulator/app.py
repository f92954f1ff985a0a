"""The ASGI application: routes under /stable (and the /3.0 and /sid aliases), plain-text
errors, the job ticker, fault injection as the outermost layer."""
from __future__ import annotations

import contextlib

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.exceptions import HTTPException

from . import deployments
from .auth import current_user
from .errors import ApiError
from .faults import API_PREFIXES, FaultInjection
from .job_lifecycle import Ticker
from .routes import control, jobs, kavlan, reference, status
from .routes import deployments as deployment_routes
from .routes import environments as environment_routes

WORKER_JOIN_TIMEOUT = 5.0


def _plain(status: int, text: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers=headers)


def _check_credentials(request: Request) -> None:
    # Wrong credentials are refused on every route, reads included, as the platform's proxy does.
    current_user(request)


def create_app(platform, ticker_interval: float = 0.2) -> FaultInjection:
    """The application serving `platform`. The result is an ASGI callable; the FastAPI app is
    its `.app` attribute and the platform is at `.app.state.platform`."""
    ticker = Ticker(platform, ticker_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        ticker.start()
        try:
            yield
        finally:
            ticker.stop()
            for worker in list(platform.workers):
                worker.join(WORKER_JOIN_TIMEOUT)

    app = FastAPI(title="g5k-emulator", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.platform = platform
    deployments.recover(platform)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError):
        return _plain(exc.status, exc.text, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        texts = {404: f"No route matches {request.method} {request.url.path}",
                 405: f"Method {request.method} is not allowed on {request.url.path}"}
        return _plain(exc.status_code, texts.get(exc.status_code, str(exc.detail)), exc.headers)

    for prefix in API_PREFIXES:
        for router in (reference.router, jobs.router, kavlan.router, deployment_routes.router,
                       environment_routes.router, status.router):
            app.include_router(router, prefix=prefix, dependencies=[Depends(_check_credentials)])
    app.include_router(control.router, prefix="/_emulator")
    return FaultInjection(app, platform)
