from django.urls import path

from . import views

app_name = "pilots"
urlpatterns = [
    path("", views.PilotListView.as_view(), name="list"),
    path("pilots/<int:pk>/", views.PilotDetailView.as_view(), name="detail"),
    path("batches/<int:year>/notice/", views.batch_notice, name="notice"),
    path("export.<str:fmt>", views.export, name="export"),
    path("unresolved/", views.unresolved, name="unresolved"),
    path("settle/<str:model>/<int:pk>/", views.settle, name="settle"),
]
