"""Data only: SVG icons (`icons/`) and the QSS theme template (`themes/`), read with importlib.resources."""
