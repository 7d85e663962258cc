"""Invitation letters: a journey's appointments as a PDF page in the client's language and German."""
