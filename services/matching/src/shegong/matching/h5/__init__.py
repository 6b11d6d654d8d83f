"""The mobile pages (H5) of matching: a resident's page per community (点单, progress,
confirm and rate, 回访) and a worker's page (接单). Public — no API key — and mounted
beside the keyed API at ``/h5``; each route is guarded by its own means instead
(``guard.py``): signed links, a one-time code to the resident's phone, rate limits."""
