"""The clock side of baocao: working-day calendar, pure reminder policy, tick and runner."""
