"""The channel-neutral conversation core. It never imports ``telegram`` (ruff TID251)."""
