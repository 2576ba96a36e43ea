"""The signal study in the GUI: Tools → Signal study… shows forward return against the
liquidation imbalance on the shown history; clicking a point moves the replay to that moment.

Wiring into the main window is one call at the end of ``MainWindow.__init__``::

    from gui.study import install_study_ui
    install_study_ui(self)
"""

from __future__ import annotations


def install_study_ui(main_window):
    """Add Tools → Signal study… and the jump-to-moment wiring. Idempotent; returns the StudyController
    (kept in the window's services as "study")."""
    services = main_window.services
    existing = services.kept("study")
    if existing is not None:
        return existing
    from gui.study.controller import StudyController

    return services.keep("study", StudyController(services))
