"""Sphinx configuration for the Ember documentation."""
project = "Ember"
author = "The Ember developers"
copyright = "2026, The Ember developers"
release = "0.1.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.doctest",
              "sphinx.ext.viewcode"]
autosummary_generate = False
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_member_order = "bysource"
doctest_global_setup = "import ember\nimport ember as torch\nimport numpy as np"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
nitpicky = False
suppress_warnings = ["autodoc.import_object"]
