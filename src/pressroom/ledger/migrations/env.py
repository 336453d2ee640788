"""Alembic environment for the ledger: runs on the connection the ledger hands it.

:func:`pressroom.ledger.db.migrate` builds the Alembic config in code and passes an open
connection (already holding the write lock) in ``config.attributes``; there is no
alembic.ini. Running ``alembic`` by hand works too with ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from pressroom.ledger.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from pressroom.ledger.db import create_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("Give the ledger URL: alembic -x url=sqlite:///ledger.sqlite3 ...")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
