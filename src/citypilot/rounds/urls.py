from django.urls import path

from . import views

app_name = "rounds"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("open/", views.round_open, name="open"),
    path("<int:pk>/", views.board, name="board"),
    path("<int:pk>/export.<str:fmt>", views.board_export, name="export"),
    path("<int:pk>/close/", views.round_close, name="close"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/<str:action>/", views.submission_action, name="action"),
    path("submissions/<int:pk>/files/<int:version_id>/", views.submission_file, name="file"),
]
