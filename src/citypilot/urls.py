from django.contrib.auth.views import LogoutView
from django.urls import include, path

from citypilot.api import api
from citypilot.web import views as web_views
from citypilot.web import worklist_views

handler400 = "citypilot.core.http.bad_request"
handler403 = "citypilot.core.http.permission_denied"
handler404 = "citypilot.core.http.page_not_found"
handler500 = "citypilot.core.http.server_error"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("login/", web_views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("accounts/", include("citypilot.accounts.urls")),
    path("documents/", include("citypilot.documents.urls")),
    path("registry/", include("citypilot.pilots.urls")),
    path("registry/notices/", include("citypilot.notices.urls")),
    path("jobs/", include("citypilot.jobs.urls")),
    path("audit/", include("citypilot.audit.urls")),
    path("selection/", include("citypilot.selection.urls")),
    path("rounds/", include("citypilot.rounds.urls")),
    path("notifications/", include("citypilot.notifications.urls")),
    path("my-tasks/", worklist_views.my_tasks, name="my-tasks"),
    path("api/", api.urls),
]
