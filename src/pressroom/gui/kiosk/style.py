"""The kiosk's look: big type and big targets on top of the station's palette.

Every button is at least 64 px high (a fingertip, not a mouse pointer); text sizes are
in pixels so 1366x768 and 1920x1080 screens both read from a step back.
"""

from __future__ import annotations

from pressroom.gui.theme import ACCENT, FAIL, MUTED, PASS

MIN_TARGET = 64

KIOSK_QSS = f"""
#kiosk {{ background: #f4f6f8; }}
#kiosk QLabel {{ font-size: 22px; }}
#kiosk QLabel#title {{ font-size: 40px; font-weight: 600; }}
#kiosk QLabel#subtitle {{ font-size: 26px; color: {MUTED}; }}
#kiosk QLabel#price {{ font-size: 26px; color: {ACCENT}; font-weight: 600; }}
#kiosk QLabel#huge {{ font-size: 56px; font-weight: 700; }}
#kiosk QLabel#percent {{ font-size: 64px; font-weight: 700; color: {ACCENT}; }}
#kiosk QLabel#unavailable {{ font-size: 24px; color: {FAIL}; font-weight: 600; }}
#kiosk QLabel#pinMessage {{ font-size: 22px; color: {FAIL}; }}
#kiosk QLabel#receipt {{ font-size: 22px; background: #ffffff; border: 1px solid #d5dbe3;
                         border-radius: 8px; padding: 16px 24px; }}
#kiosk QLabel#shop {{ font-size: 24px; font-weight: 600; color: {MUTED}; }}
#kiosk QPushButton {{ font-size: 26px; min-height: {MIN_TARGET}px; min-width: 160px;
                      padding: 8px 28px; border-radius: 12px; border: 2px solid #b9c2ce;
                      background: #ffffff; }}
#kiosk QPushButton:pressed {{ background: #dfe7f3; }}
#kiosk QPushButton[role="primary"] {{ background: {ACCENT}; color: #ffffff; border: none;
                                      font-size: 32px; font-weight: 600; min-height: 96px; }}
#kiosk QPushButton[role="primary"]:pressed {{ background: #184c99; }}
#kiosk QPushButton[role="primary"]:disabled {{ background: #aeb8c5; color: #eef1f5; }}
#kiosk QPushButton[role="key"] {{ font-size: 34px; min-width: 120px; min-height: 84px; }}
#kiosk QPushButton#corner {{ min-width: {MIN_TARGET}px; max-width: {MIN_TARGET}px;
                             min-height: {MIN_TARGET}px; max-height: {MIN_TARGET}px;
                             padding: 0; border: none; background: transparent; }}
#kiosk QToolButton#tile {{ font-size: 22px; background: #ffffff; border: 2px solid #d5dbe3;
                           border-radius: 14px; padding: 14px; }}
#kiosk QToolButton#tile:pressed {{ background: #dfe7f3; border-color: {ACCENT}; }}
#kiosk QToolButton#tile[available="false"] {{ color: {MUTED}; background: #eceff3; }}
#kiosk QProgressBar {{ min-height: 64px; border: 2px solid #b9c2ce; border-radius: 14px;
                       background: #ffffff; text-align: center; font-size: 1px;
                       color: transparent; }}
#kiosk QProgressBar::chunk {{ background: {ACCENT}; border-radius: 12px; }}
#kiosk QLineEdit {{ font-size: 40px; min-height: 64px; min-width: 360px; max-width: 420px;
                    border-radius: 10px; border: 2px solid #b9c2ce;
                    qproperty-alignment: AlignCenter; }}
#kiosk QLabel#done {{ font-size: 64px; font-weight: 700; color: {PASS}; }}
"""
