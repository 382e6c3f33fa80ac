"""Channel adapters: each turns its wire format into core events and core replies back."""
