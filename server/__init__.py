"""RouteCRM server: the sync API for reps' phones and the supervisor web view (Litestar + SQLModel)."""
