"""Plan files: parse, validate, load into storage and render."""
