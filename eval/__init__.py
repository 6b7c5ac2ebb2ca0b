"""newsdesk: eval."""
