"""The Zalo adapter (Zalo Bot API over plain HTTP with httpx; no SDK)."""
