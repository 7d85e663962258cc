"""Reference firmware for a call-button box: Raspberry Pi Pico, MicroPython, five keys, a one-line OLED."""

# Wiring (change PINS / I2C below to match the box):
#   keys NEXT, RECALL, DONE, NOSHOW, PAUSE from GP2..GP6 to GND (internal pull-ups);
#   SSD1306 128x32 OLED on I2C0: SDA GP0, SCL GP1 (driver: `mpremote mip install ssd1306`);
#   the Pico's own LED is the call LED.
# Flash: copy boxproto.py, main.py and a config.py with BOX_ID = "box-<counter>" to the Pico
#   (`mpremote cp boxproto.py main.py config.py :`). The host talks to it on the USB serial port
#   that MicroPython provides (the REPL port): while main.py runs, that port speaks the box protocol.

import random
import select
import sys
import time

import machine
from boxproto import Box

VERSION = "1.0"
PINS = {"NEXT": 2, "RECALL": 3, "DONE": 4, "NOSHOW": 5, "PAUSE": 6}
DEBOUNCE_MS = 30

try:
    from config import BOX_ID
except ImportError:
    BOX_ID = "box-unset"  # the bridge can still map the box by its USB serial number or by-id path


class Display:
    """The one-line display; without a working OLED the box still works (it just shows nothing)."""

    def __init__(self):
        self.oled = None
        self.error = None  # not printed: stdout is the protocol line to the host
        try:
            import ssd1306

            i2c = machine.I2C(0, sda=machine.Pin(0), scl=machine.Pin(1), freq=400000)
            self.oled = ssd1306.SSD1306_I2C(128, 32, i2c)
        except Exception as exc:  # noqa: BLE001 - no driver, no OLED, a bus error: run without a display
            self.error = repr(exc)
        self.shown = None

    def show(self, text):
        if self.oled is None or text == self.shown:
            return
        self.shown = text
        self.oled.fill(0)
        self.oled.text(text[:16], 0, 12)
        self.oled.show()


def out(text):
    sys.stdout.write(text)


def main():
    led = machine.Pin("LED", machine.Pin.OUT)
    keys = {name: machine.Pin(pin, machine.Pin.IN, machine.Pin.PULL_UP) for name, pin in PINS.items()}
    was_down = {name: False for name in PINS}
    changed_at = {name: 0 for name in PINS}
    display = Display()
    boot = f"{random.getrandbits(32):08x}"  # seeded from the RP2040's ring oscillator: new at every power-up
    box = Box(BOX_ID, VERSION, boot, out, time.ticks_ms, time.ticks_diff)
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    box.hello()
    while True:
        now = time.ticks_ms()
        for name, pin in keys.items():
            down = pin.value() == 0
            if down != was_down[name] and time.ticks_diff(now, changed_at[name]) >= DEBOUNCE_MS:
                was_down[name] = down
                changed_at[name] = now
                if down:
                    box.press(name)
        while poller.poll(0):
            box.feed(sys.stdin.buffer.read(1))
        box.poll()
        display.show(box.text)
        if box.led == "BLINK":
            led.value((now // 500) % 2)
        else:
            led.value(1 if box.led == "ON" else 0)
        time.sleep_ms(5)


main()
