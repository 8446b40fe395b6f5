"""The one exception type for mistakes that are the user's (bad file, bad flag, short series)."""


class UserError(ValueError):
    """A problem the user can fix. The message names the problem and the fix, in one line.

    The CLI prints it as ``error: <message>`` with exit status 2; the dashboard shows it with
    ``st.error``. Anything else that escapes is a bug in this package.
    """
