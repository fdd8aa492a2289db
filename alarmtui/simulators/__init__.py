"""Faithful simulators of the three vendor clouds over one simulated panel engine."""
