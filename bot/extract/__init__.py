"""Read a Vietnamese plan document (.txt, .docx, text .pdf) and draft its plan file."""
