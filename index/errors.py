"""The one base of every error a user can fix.

Each layer raises its own subclass (StoreError, LLMError, SettingsError, ...); the CLI, the
chat window and the `/ask` API each catch `NewsdeskError` alone and show `exc.message`: one
line naming the file, setting or value and what to do. Anything else is a bug, reported as
such (see ARCHITECTURE.md, "Errors").
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2


class NewsdeskError(Exception):
    """A problem the user can fix: the message is one line, `exit_code` is what the CLI exits with."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The first line of the message (a user never sees a second one)."""
        text = str(self).strip()
        return text.splitlines()[0] if text else type(self).__name__


class UsageError(NewsdeskError, ValueError):
    """A command-line value or option is wrong (exit code 2)."""

    exit_code = EXIT_USAGE
