"""The JSON API: one NinjaAPI, one auth, one error shape; each app contributes a router."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from citypilot.accounts.api import router as accounts_router
from citypilot.audit.api import router as audit_router
from citypilot.core.api import CityPilotAuth, install_error_handlers
from citypilot.documents.api import router as documents_router
from citypilot.jobs.api import router as jobs_router
from citypilot.notifications.api import router as notifications_router
from citypilot.pilots.api import router as pilots_router
from citypilot.rounds.api import router as rounds_router
from citypilot.selection.api import router as selection_router

api = NinjaAPI(
    title="CityPilot API",
    version="1",
    description="智慧城市试点管理平台 JSON API. Authenticate with `Authorization: Bearer <token>` "
    "(tokens are issued on the 'API 令牌' page) or a browser session.",
    auth=CityPilotAuth(),
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/documents", documents_router)
api.add_router("/jobs", jobs_router)
api.add_router("/pilots", pilots_router)
api.add_router("/selection", selection_router)
api.add_router("/rounds", rounds_router)
api.add_router("/notifications", notifications_router)
