"""Entry point for gunicorn: `gunicorn wsgi:app` (set STAGEMATCH_CONFIG=production and SECRET_KEY)."""

from stagematch import create_app

app = create_app()
