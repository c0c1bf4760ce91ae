"""The rep's app: Flet views, view state, the local durable store and the background sync runner."""
