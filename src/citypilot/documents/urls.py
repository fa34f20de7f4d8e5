from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.DocumentListView.as_view(), name="list"),
    path("upload/", views.document_upload, name="upload"),
    path("<int:pk>/", views.DocumentDetailView.as_view(), name="detail"),
    path("<int:pk>/versions/new/", views.version_upload, name="version-upload"),
    path("<int:pk>/versions/<int:number>/file/", views.version_download, name="version-download"),
]
