"""Side-by-side speed and memory comparisons with micrograd and numpy (not tests)."""
