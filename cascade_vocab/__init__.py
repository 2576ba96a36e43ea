"""One Qt-free home for the words and number formats every layer shares.

market, analytics, commands and gui all import from here, so the command line and the window say the
same number the same way. It imports nothing from the project and nothing from Qt (import-linter holds it).
"""
