"""`python -m newsdesk` runs the CLI."""

from newsdesk.cli import main

if __name__ == "__main__":
    main()
