"""newsdesk: prompts."""
