"""Operations: settings, the runtime that wires a service, databases (the SQLite driver),
metrics, tracing, logs, the lifecycle and the local key file."""
