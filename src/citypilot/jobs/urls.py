from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("start/", views.job_start, name="start"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="detail"),
]
