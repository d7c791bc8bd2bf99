"""Browser tests: the dashboard in headless chromium (a package, so its conftest does not shadow tests/conftest.py)."""
