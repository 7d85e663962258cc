"""`arkaden ticket preview` and `arkaden ticket print`."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from arkaden_cli.main import main
from kiosk_app.printing.simulator import TcpPrinterSimulator
from tests.printing_helpers import REPO_ROOT, scanned_tokens

SITE = str(REPO_ROOT / "sites" / "kia-aachen-arkaden.toml")


@pytest.mark.parametrize("width", [576, 384])
def test_slip_cli_preview_writes_a_png(tmp_path: Path, width: int, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s" / "slip.png"
    assert main(["ticket", "preview", "--lang", "ar", "--out", str(out), "--width", str(width),
                 "--site", SITE]) == 0
    image = Image.open(out)
    assert image.mode == "1" and image.width == width
    assert len(scanned_tokens([image])) == 1
    assert str(out) in capsys.readouterr().out


def test_slip_cli_preview_unknown_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", "preview", "--lang", "xx", "--out", str(tmp_path / "x.png"), "--site", SITE]) == 2
    assert "unknown language 'xx'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_slip_cli_print_to_a_tcp_printer(capsys: pytest.CaptureFixture[str]) -> None:
    with TcpPrinterSimulator() as sim:
        assert main(["ticket", "print", "--printer", sim.url, "--lang", "ti", "--site", SITE]) == 0
        assert sim.printer.wait_for(lambda p: len(p.pages) == 1)
    assert "printed: True" in capsys.readouterr().out
    assert main(["ticket", "print", "--printer", "lpt://1", "--site", SITE]) == 2
