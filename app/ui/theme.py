"""The dark theme: a Fusion palette in the colours of music software, and a few style rules.

Sizes in the style sheet are in points or scale with the font, so the window
reads the same at 100% and 200% (Qt 6 scales device-independent pixels).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = QColor(0x1E, 0x20, 0x24)
PANEL = QColor(0x26, 0x29, 0x2E)
BASE = QColor(0x17, 0x19, 0x1C)
TEXT = QColor(0xD8, 0xDC, 0xE2)
DIM_TEXT = QColor(0x86, 0x8C, 0x96)
ACCENT = QColor(0xF2, 0xA6, 0x3B)  # amber, like a lit transport button
SELECTION = QColor(0x3D, 0x6F, 0xB6)

STYLE = """
QToolBar { spacing: 4px; border: none; padding: 2px; }
QToolButton:checked { background: #3a3f47; border: 1px solid #f2a63b; border-radius: 3px; }
QDockWidget::title { padding: 3px 6px; background: #262a2e; }
QStatusBar { color: #a9b0ba; }
QLabel#position { font-family: monospace; font-size: 13pt; color: #f2a63b; padding: 0 8px; }
"""


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE, QPalette.ColorRole.AlternateBase: BACKGROUND,
        QPalette.ColorRole.ToolTipBase: PANEL, QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.BrightText: ACCENT,
        QPalette.ColorRole.Highlight: SELECTION, QPalette.ColorRole.HighlightedText: QColor("white"),
        QPalette.ColorRole.Link: ACCENT, QPalette.ColorRole.PlaceholderText: DIM_TEXT,
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, DIM_TEXT)
    return p


def apply_theme(app: QApplication) -> None:
    """Fusion style with the dark palette and the style rules, app-wide."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)
