"""What every notebook shares: hygiene, text, jupytext twins, release sync, Validate, the explorers."""
