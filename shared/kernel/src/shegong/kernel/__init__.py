"""shegong's kernel, grouped by concern: ``events`` (event sourcing), ``web`` (HTTP),
``ops`` (operations) and ``data`` (personal data and files); ``testing`` helps tests."""
