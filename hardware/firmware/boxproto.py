"""Button-box protocol logic for the firmware (MicroPython and CPython): lines, presses, re-sends, display."""

# No typing, dataclasses or str.removesuffix: this file runs on MicroPython (1.17 or newer) as it is,
# and the host tests load it to check it against the host side (hardware/box_protocol.py).

MAX_LINE = 64
SEQ_MODULO = 65536
KEYS = ("NEXT", "RECALL", "DONE", "NOSHOW", "PAUSE")
LED_MODES = ("ON", "OFF", "BLINK")


def parse_host_line(line):
    """('ACK', seq) | ('SHOW', text) | ('LED', mode) | ('WHO', None), or None for anything else."""
    if line.endswith("\r"):  # noqa: FURB188 - MicroPython has no str.removesuffix
        line = line[:-1]
    if len(line) > MAX_LINE:
        return None
    for ch in line:
        if ch < " " or ch > "~":
            return None
    if line == "WHO":
        return ("WHO", None)
    if line.startswith("SHOW "):
        return ("SHOW", line[5:21])
    if line.startswith("LED "):
        mode = line[4:]
        return ("LED", mode) if mode in LED_MODES else None
    if line.startswith("ACK "):
        digits = line[4:]
        if 1 <= len(digits) <= 5 and digits.isdigit() and int(digits) < SEQ_MODULO:
            return ("ACK", int(digits))
    return None


def format_hello(box_id, version, boot):
    return f"HELLO {box_id} {version} {boot}\n"


def format_key(seq, name):
    return f"KEY {seq:d} {name}\n"


class Box:
    """The box without its hardware: presses out, host lines in, the text and LED it should show.

    ``write(str)`` sends to the host, ``now()`` is a millisecond clock and ``diff(a, b)`` the difference
    of two of its readings (``time.ticks_diff`` on the Pico, where the clock wraps). A press is sent
    again every ``retry_ms`` until the host acknowledges it; after ``give_up_ms`` it is dropped and the
    display says NOT SENT. Up to ``max_queue`` presses wait behind the one in flight.
    """

    def __init__(self, box_id, version, boot, write, now, diff=None, retry_ms=1000, give_up_ms=15000,
                 max_queue=4):
        self.box_id = box_id
        self.version = version
        self.boot = boot
        self.write = write
        self.now = now
        self.diff = diff or (lambda a, b: a - b)
        self.retry_ms = retry_ms
        self.give_up_ms = give_up_ms
        self.max_queue = max_queue
        self.seq = 0
        self.queue = []  # [seq, name, first_sent, last_sent], the head is in flight
        self.text = "HELLO"
        self.led = "BLINK"
        self.bad_lines = 0
        self._buf = bytearray()
        self._skipping = False

    def hello(self):
        self.write(format_hello(self.box_id, self.version, self.boot))

    def press(self, name):
        """A key went down. Returns False when too many presses are waiting already."""
        if name not in KEYS:
            return False
        if len(self.queue) >= self.max_queue:
            self.text = "BUSY"
            return False
        seq = self.seq
        self.seq = (self.seq + 1) % SEQ_MODULO
        self.queue.append([seq, name, None, None])
        if len(self.queue) == 1:
            self._send_head()
        return True

    def _send_head(self):
        if not self.queue:
            return
        head = self.queue[0]
        t = self.now()
        if head[2] is None:
            head[2] = t
        head[3] = t
        self.write(format_key(head[0], head[1]))

    def poll(self):
        """Call often: re-sends the press in flight, or gives it up."""
        if not self.queue:
            return
        head = self.queue[0]
        t = self.now()
        if self.diff(t, head[2]) >= self.give_up_ms:
            self.queue.pop(0)
            self.text = "NOT SENT"
            self._send_head()
        elif self.diff(t, head[3]) >= self.retry_ms:
            self._send_head()

    def feed(self, data):
        """Bytes from the host; complete lines are handled, over-long and garbled ones counted and dropped."""
        for b in data:
            if b == 10:  # LF
                if self._skipping:
                    self._skipping = False
                elif self._buf:
                    try:
                        line = bytes(self._buf).decode()
                    except UnicodeError:
                        line = "\x00"
                    self.handle(line)
                self._buf = bytearray()
            elif not self._skipping:
                self._buf.append(b)
                if len(self._buf) > MAX_LINE:
                    self.bad_lines += 1
                    self._skipping = True
                    self._buf = bytearray()

    def handle(self, line):
        msg = parse_host_line(line)
        if msg is None:
            self.bad_lines += 1
            return
        kind, arg = msg
        if kind == "ACK":
            if self.queue and self.queue[0][0] == arg:
                self.queue.pop(0)
                self._send_head()
        elif kind == "SHOW":
            self.text = arg
        elif kind == "LED":
            self.led = arg
        elif kind == "WHO":
            self.hello()
