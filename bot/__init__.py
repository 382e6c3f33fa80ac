"""baocao: reporting-reminder chatbot for Vietnamese government plans."""
