"""newsdesk: ingest."""
