"""A service's own PostgreSQL database, made on first run by ``shegong up``."""

from __future__ import annotations


def ensure_postgres_database(url: str) -> None:
    """Create the service's PostgreSQL database on first run (needs CREATEDB)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return
    import psycopg

    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')
