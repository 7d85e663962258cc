"""The check-in kiosk: touchscreen screens (Kivy), view models, the offline outbox and the slip printer."""
