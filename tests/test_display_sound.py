"""The gong and announcement worker: never two sounds at once, espeak-ng command lines, the shipped gong file."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import pytest

from display_app import make_gong
from display_app.messages import translations
from display_app.sound import (
    Announcement,
    FakePlayer,
    SoundWorker,
    announcement_for,
    espeak_command,
    spoken_number,
    spoken_room,
)


def test_sound_never_overlaps_even_when_calls_come_from_many_threads(tmp_path: Path) -> None:
    player = FakePlayer(seconds=0.02)
    worker = SoundWorker(player, espeak=None)
    worker.start()
    try:
        threads = [threading.Thread(target=worker.submit, args=(Announcement(()),)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = 100
        while worker.done + worker.dropped < 6 and deadline:
            threading.Event().wait(0.05)
            deadline -= 1
    finally:
        worker.stop()
    assert worker.done + worker.dropped == 6 and worker.done >= 1
    assert player.overlaps == 0
    spans = sorted((x.start, x.end) for x in player.played)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert all(x.wav == make_gong.GONG for x in player.played)


def test_sound_a_burst_is_bounded_not_a_backlog() -> None:
    player = FakePlayer(seconds=0.2)
    worker = SoundWorker(player, espeak=None)
    worker.start()
    try:
        accepted = sum(worker.submit(Announcement(())) for _ in range(30))
    finally:
        worker.stop()
    assert accepted <= 9 and worker.dropped == 30 - accepted


def test_sound_announcement_texts_and_espeak_command(tmp_path: Path) -> None:
    a = announcement_for("J-017", "1.07", "Platz 2", ["de", "en"], translations().gettext)
    assert a.texts == (("de", "Nummer J 17, bitte zu Raum 1 07, Platz 2."),
                       ("en", "Number J 17, please go to room 1 07, Platz 2."))
    assert announcement_for("J-017", "1.07", "Platz 2", [], translations().gettext).texts == ()
    # the client's own language after the site's, once; none twice when it is German
    ar = announcement_for("J-017", "1.07", "Platz 2", ["de"], translations().gettext, "ar")
    assert [lang for lang, _ in ar.texts] == ["de", "ar"] and ar.fallback is None
    assert "J 17" in ar.texts[1][1] and ar.texts[1][1] != ar.texts[0][1]
    assert announcement_for("J-017", "1.07", "x", ["de"], translations().gettext, "de").texts == (
        ("de", "Nummer J 17, bitte zu Raum 1 07, x."),)
    # no voice (Tigrinya, Pashto): a chime, then number and room one character at a time in English
    ti = announcement_for("J-017", "E.04", "Platz 2", ["de"], translations().gettext, "ti")
    assert [lang for lang, _ in ti.texts] == ["de"] and ti.fallback == ("en", "Number J, 1, 7. Room E, 0, 4.")
    assert announcement_for("S-105", "1.08", "B", [], translations().gettext, "ps").fallback == (
        "en", "Number S, 1, 0, 5. Room 1, 0, 8.")
    assert spoken_number("A-007") == "A 7" and spoken_number("odd") == "odd" and spoken_room("E.01") == "E 01"
    cmd = espeak_command("Nummer A 7", "kmr", tmp_path / "x.wav")
    assert cmd == ["espeak-ng", "-v", "ku", "-s", "140", "-w", str(tmp_path / "x.wav"), "--", "Nummer A 7"]


def test_sound_espeak_ng_really_speaks_into_a_wav_then_the_player_plays_it(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng not found: install the Debian package espeak-ng (./scripts/bootstrap.sh does)")
    player = FakePlayer()
    worker = SoundWorker(player)
    played: list[bytes] = []
    real_play = player.play

    def keep(wav: Path) -> None:  # the speech file is reused per language: read it while it is there
        played.append(wav.read_bytes())
        real_play(wav)

    player.play = keep  # type: ignore[method-assign]
    worker.start()
    try:
        worker.submit(announcement_for("A-001", "E.01", "Schalter 1", ["de"], translations().gettext))
        for _ in range(200):
            if worker.done:
                break
            threading.Event().wait(0.05)
    finally:
        worker.stop()
    assert [x.wav.name for x in player.played] == ["gong.wav", "speech-de.wav"]
    assert played[1][:4] == b"RIFF" and len(played[1]) > 10_000  # about a second of speech


def test_sound_the_shipped_gong_is_what_make_gong_makes(tmp_path: Path) -> None:
    assert make_gong.GONG.read_bytes() == make_gong.wav_bytes(), "run python -m display_app.make_gong"
    assert make_gong.CHIME.read_bytes() == make_gong.chime_bytes(), "run python -m display_app.make_gong"
    assert make_gong.CHIME.read_bytes() != make_gong.GONG.read_bytes()
    with wave.open(str(make_gong.GONG)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, make_gong.RATE)
        assert 1.5 < w.getnframes() / w.getframerate() < 3


def test_sound_sox_reads_the_gong(tmp_path: Path) -> None:
    if shutil.which("sox") is None:
        pytest.fail("sox not found: install the Debian package sox (./scripts/bootstrap.sh does)")
    out = subprocess.run(check=False, args=["sox", str(make_gong.GONG), "-n", "stat"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    stats = dict(line.split(":", 1) for line in out.stderr.splitlines() if ":" in line)
    assert 0.5 < float(stats["Maximum amplitude"]) <= 0.61
