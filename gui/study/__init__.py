"""The signal study in the GUI: Tools → Signal study… shows forward return against the
liquidation imbalance on the shown history; clicking a point moves the replay to that moment.

Wiring into the main window is one call at the end of ``MainWindow.__init__``::

    from gui.study import install_study_ui
    install_study_ui(self)
"""

from __future__ import annotations


def install_study_ui(main_window):
    """Add Tools → Signal study… and the jump-to-moment wiring. Idempotent; returns the StudyController
    (also kept as ``main_window.study``)."""
    existing = getattr(main_window, "study", None)
    if existing is not None:
        return existing
    from gui.study.controller import StudyController

    controller = StudyController(main_window)
    main_window.study = controller
    return controller
