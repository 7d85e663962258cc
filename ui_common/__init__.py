"""Shared pieces of the Kivy apps (kiosk, wall display, reception): languages, fonts, Kivy setup, thread bridge,
scaled windows, snapshots, and the options for demos and headless runs."""
