from django.urls import path

from . import views

app_name = "selection"
urlpatterns = [
    path("", views.CallListView.as_view(), name="call-list"),
    path("calls/new/", views.call_create, name="call-create"),
    path("calls/<int:pk>/", views.CallDetailView.as_view(), name="call-detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call-edit"),
    path("calls/<int:pk>/notice/", views.call_notice, name="call-notice"),
    path("calls/<int:pk>/apply/", views.application_create, name="application-create"),
    path("calls/<int:pk>/<slug:action>/", views.call_action, name="call-action"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/<slug:action>/", views.application_action, name="application-action"),
    path("experts/", views.expert_list, name="experts"),
]
