"""``make demo``: the sample plan through the real stack on a simulated clock."""
