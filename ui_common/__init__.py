"""Shared pieces of the Kivy apps (kiosk, wall display, reception): languages, fonts, Kivy setup, thread bridge."""
