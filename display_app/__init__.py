"""Wall displays (`arkaden display`) and the reception monitor (`arkaden reception`): Kivy screens over view models."""
