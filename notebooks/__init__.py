"""The course: numbered notebooks, each runnable top to bottom (see run.py)."""
