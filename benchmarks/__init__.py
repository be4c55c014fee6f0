"""Speed and memory figures; run ``python -m benchmarks [name]`` (``make bench`` runs them all)."""
