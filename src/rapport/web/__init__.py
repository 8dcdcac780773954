"""The HTTP layer: dependencies, error rendering, limits; templates and static files for the web app."""
