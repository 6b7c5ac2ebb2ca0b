"""newsdesk: index."""
