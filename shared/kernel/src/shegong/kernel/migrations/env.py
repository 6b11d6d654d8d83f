"""Alembic's environment for every shegong service (see ``shegong.kernel.events.migrate``).

Not run through an ``alembic.ini``: ``migrate`` hands over the connection, the target
metadata and the tables in scope through ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
target_metadata = config.attributes["target_metadata"]
in_scope: frozenset[str] | None = config.attributes.get("tables")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    # Autogenerate for one branch must not see the other branch's tables as "removed".
    if type_ == "table" and in_scope is not None:
        return name in in_scope
    return True


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
