"""HTTP: the app every service serves, API keys and scopes, the access log and audit,
correlation ids, the edge (limits, headers), response models and the OpenAPI documents."""
