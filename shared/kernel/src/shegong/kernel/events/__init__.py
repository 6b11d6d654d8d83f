"""Event sourcing: aggregates, the event store and its schema, migrations, the outbox relay,
subscriptions and feeds, projections, leader-run jobs and import jobs, and the read models
the services share (the census's links, the expert pool)."""
