"""newsdesk: question answering over news articles with sentence-level citations."""

__version__ = "0.1.0"
