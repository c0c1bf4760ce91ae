"""The phone's look for one thumb: every button and chip at least 48 px high (Material's touch target), body
text 15 sp and small print 14 sp, the bundled CJK font (Flet web has no CJK fallback offline). Text sizes are
in sp: the device's font size setting scales them."""

from __future__ import annotations

import flet as ft

FONT_FAMILY = "WQY"
FONTS = {FONT_FAMILY: "fonts/wqy-microhei.ttf"}  # relative to the assets folder
TOUCH_TARGET = 48
# A button's label line is about 18 px: 15 px above and below make 48. The web's default density is compact.
BUTTON_STYLE = ft.ButtonStyle(
    padding=ft.Padding.symmetric(horizontal=16, vertical=15),
    visual_density=ft.VisualDensity.STANDARD,
    text_style=ft.TextStyle(size=15, font_family=FONT_FAMILY),
)


def phone_theme() -> ft.Theme:
    return ft.Theme(
        font_family=FONT_FAMILY,
        visual_density=ft.VisualDensity.STANDARD,
        button_theme=ft.ButtonTheme(style=BUTTON_STYLE),
        filled_button_theme=ft.FilledButtonTheme(style=BUTTON_STYLE),
        outlined_button_theme=ft.OutlinedButtonTheme(style=BUTTON_STYLE),
        text_button_theme=ft.TextButtonTheme(style=BUTTON_STYLE),
        chip_theme=ft.ChipTheme(
            padding=ft.Padding.symmetric(horizontal=6, vertical=14),
            label_text_style=ft.TextStyle(size=15, font_family=FONT_FAMILY),
        ),
        # Every style names the font: a style without one falls back to a font with no CJK glyphs.
        text_theme=ft.TextTheme(
            body_large=ft.TextStyle(size=16, font_family=FONT_FAMILY),
            body_medium=ft.TextStyle(size=15, font_family=FONT_FAMILY),
            body_small=ft.TextStyle(size=14, font_family=FONT_FAMILY),
        ),
    )
