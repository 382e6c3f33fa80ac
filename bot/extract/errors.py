"""The one error extraction raises: a plain English sentence the CLI prints as is."""


class ExtractError(Exception):
    """The document cannot be read as a plan (empty, binary, scanned, too large, …)."""
