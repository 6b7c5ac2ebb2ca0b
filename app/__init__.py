"""newsdesk: app."""
