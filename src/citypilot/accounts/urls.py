from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation-edit"),
    path("tokens/", views.TokenListView.as_view(), name="token-list"),
    path("tokens/new/", views.token_issue, name="token-issue"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("language/", views.switch_language, name="language"),
]
