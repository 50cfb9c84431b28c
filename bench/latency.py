#!/usr/bin/python3
"""The latency benchmark's driver: one SSIP client for both daemons.

bench/run starts the daemons and calls this. Every time here is
CLOCK_MONOTONIC (time.monotonic_ns), the clock the ALSA shim stamps with,
so "request sent" and "audio handed to ALSA" compare directly.
"""
import argparse
import bisect
import json
import os
import queue
import socket
import statistics
import sys
import threading
import time

WRITES = ("writei", "writen")
STOPS = ("drop", "close")
MS = 1_000_000


def now():
    return time.monotonic_ns()


class AlsaLog:
    """The shim's log of one daemon (its processes), read as it grows."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.events = []  # (ns, pid, call, value, delay, rate, ring), sorted by ns
        self.times = []

    def refresh(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        new = []
        for line in data[:cut].decode().splitlines():
            p = line.split()
            if len(p) == 7:
                new.append((int(p[0]), int(p[1]), p[2], int(p[3]), int(p[4]), int(p[5]), int(p[6])))
        if new:
            self.events.extend(new)
            self.events.sort()
            self.times = [e[0] for e in self.events]

    def first(self, calls, after, before=None):
        self.refresh()
        for e in self.events[bisect.bisect_left(self.times, after):]:
            if before is not None and e[0] >= before:
                return None
            if e[2] in calls:
                return e
        return None

    def wait_first(self, calls, after, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            e = self.first(calls, after)
            if e:
                return e
            time.sleep(0.001)
        return None

    def between(self, calls, start, end):
        self.refresh()
        i, j = bisect.bisect_left(self.times, start), bisect.bisect_left(self.times, end)
        return [e for e in self.events[i:j] if e[2] in calls]


class SSIP:
    """A raw SSIP connection; a reader thread stamps every reply and event."""

    def __init__(self, path, name):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.replies = queue.Queue()
        self.events = []  # (ns, code, msg_id)
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.cmd(f"SET self CLIENT_NAME bench:{name}:main")
        self.cmd("SET self NOTIFICATION all on")
        self.cmd("SET self LANGUAGE en")

    def _read(self):
        buffer, lines = b"", []
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            stamp = now()
            buffer += data
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                line = line.decode(errors="replace")
                lines.append(line[4:])
                if len(line) >= 4 and line[3] == "-":
                    continue
                code, body = line[:3], lines
                lines = []
                if code.startswith("7"):
                    msg = int(body[0]) if body and body[0].isdigit() else -1
                    with self.lock:
                        self.events.append((stamp, code, msg))
                else:
                    self.replies.put((stamp, code, body))

    def send(self, text):
        self.sock.sendall(text.encode())

    def reply(self, timeout=10):
        return self.replies.get(timeout=timeout)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def speak(self, text):
        stamp, code, _ = self.cmd("SPEAK")
        assert code == "230", code
        t0 = now()
        self.send(text + "\r\n.\r\n")
        _, code, body = self.reply()
        assert code == "225", (code, body)
        return t0, int(body[0])

    def char(self, c):
        t0 = now()
        self.send(f"CHAR {c}\r\n")
        _, code, body = self.reply()
        assert code == "225", (code, body)
        return t0, int(body[0])

    def wait_event(self, msg, codes=("702", "703"), timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for e in self.events:
                    if e[2] == msg and e[1] in codes:
                        return e
            time.sleep(0.001)
        return None


SHORT = [
    "Hello, this is a short sentence number {}.",
    "The file was saved in folder {}.",
    "You have {} new messages in your inbox.",
    "Press enter to open item {} of the list.",
]
LONG = ("This is a longer paragraph that keeps the voice busy for a few seconds, "
        "so that a stop arrives while audio is playing. It goes on with a second sentence, "
        "and a third one follows it, all of them read without a pause.")


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return {"median": statistics.median(values), "p90": p90, "n": len(values), "max": values[-1]}


def queued_ms(log, start, end, field=4):
    """The most audio ahead of playback after any write of the utterance:
    field 4, snd_pcm_delay (to the speaker); field 6, the ALSA buffer's fill."""
    writes = log.between(WRITES, start, end)
    delays = [e[field] * 1000.0 / e[5] for e in writes if e[field] >= 0 and e[5] > 0]
    return max(delays) if delays else None


def settle(seconds=0.25):
    time.sleep(seconds)


def run_offline(name, sock, log, rounds):
    c = SSIP(sock, name)
    out = {}
    # Warm: the first utterance opens the device and loads the voice.
    for text in ("Warm up.", "Ready."):
        _, msg = c.speak(text)
        c.wait_event(msg)
        settle()
    speak, queued, ring = [], [], []
    for i in range(rounds):
        t0, msg = c.speak(SHORT[i % len(SHORT)].format(i + 2))
        end = c.wait_event(msg)
        w = log.first(WRITES, t0)
        speak.append((w[0] - t0) / MS if w else None)
        queued.append(queued_ms(log, t0, end[0] if end else now()))
        ring.append(queued_ms(log, t0, end[0] if end else now(), field=6))
        settle()
    out["speak"], out["queued"], out["queued_ring"] = stats(speak), stats(queued), stats(ring)
    chars = []
    for i in range(rounds):
        t0, msg = c.char("abcdefghijklmnopqrstuvwxyz"[i % 26])
        c.wait_event(msg)
        w = log.first(WRITES, t0)
        chars.append((w[0] - t0) / MS if w else None)
        settle()
    out["char"] = stats(chars)
    drops, cancels = [], []
    for i in range(rounds):
        ts, msg = c.speak(LONG)
        if not log.wait_first(WRITES, ts):
            continue
        time.sleep(0.3)
        t0 = now()
        c.cmd("CANCEL self")
        ev = c.wait_event(msg, ("703", "702"), 5)
        d = log.wait_first(STOPS, t0, 1.0)
        drops.append((d[0] - t0) / MS if d else None)
        cancels.append((ev[0] - t0) / MS if ev and ev[1] == "703" else None)
        settle(0.4)
    out["cancel_drop"], out["cancel_703"] = stats(drops), stats(cancels)
    important = []
    for i in range(rounds):
        c.cmd("SET self PRIORITY text")
        ts, msg = c.speak(LONG)
        if not log.wait_first(WRITES, ts):
            continue
        time.sleep(0.3)
        c.cmd("SET self PRIORITY important")
        t0, msg2 = c.speak(f"Important news number {i}.")
        c.wait_event(msg2)
        d = log.first(STOPS, t0)
        w = log.first(WRITES, d[0]) if d else None
        important.append((w[0] - t0) / MS if w else None)
        c.cmd("SET self PRIORITY text")
        c.cmd("CANCEL self")
        settle(0.4)
    out["important"] = stats(important)
    return c, out


def run_storm(c, log, seconds, rate=50):
    c.cmd("SET self PRIORITY text")
    starts = []
    begin = now()
    for k in range(int(seconds * rate)):
        target = begin + k * (1_000_000_000 // rate)
        while now() < target:
            time.sleep(0.0002)
        c.cmd("CANCEL self")
        t0, _ = c.speak(SHORT[k % len(SHORT)].format(k))
        starts.append(t0)
    time.sleep(1.0)
    c.cmd("CANCEL self")
    lat, missed = [], 0
    for k, t0 in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else t0 + 1_000_000_000
        w = log.first(WRITES, t0, end)
        if w:
            lat.append((w[0] - t0) / MS)
        else:
            missed += 1
    s = stats(lat) or {}
    s["missed"] = missed
    s["pairs"] = len(starts)
    s["achieved_rate"] = len(starts) / ((starts[-1] - starts[0]) / 1e9) if len(starts) > 1 else 0
    settle(0.5)
    return s


class Fake:
    """The fake Workers AI process's event stream and commands."""

    def __init__(self, stdin_path, stdout_path):
        self.stdin = open(stdin_path, "w")
        self.stdout_path = stdout_path
        self.offset = 0
        self.events = []

    def command(self, line):
        self.stdin.write(line + "\n")
        self.stdin.flush()

    def refresh(self):
        with open(self.stdout_path) as f:
            f.seek(self.offset)
            data = f.read()
        cut = data.rfind("\n") + 1
        self.offset += cut
        for line in data[:cut].splitlines():
            p = line.split()
            if p and p[0] in ("flush", "first-audio"):
                self.events.append((int(p[2]), p[0]))
            elif p and p[0] == "count":
                self.count = int(p[1])
                self.counts = [int(x) for x in p[1:]]

    def first(self, kind, after):
        self.refresh()
        for t, k in sorted(self.events):
            if k == kind and t >= after:
                return t
        return None

    def flushes(self):
        self.count = None
        self.command("count")
        deadline = time.monotonic() + 5
        while self.count is None and time.monotonic() < deadline:
            time.sleep(0.01)
            self.refresh()
        return self.count


def long_sentences(words=2000):
    sentences, n = [], 0
    while n < words:
        k = len(sentences)
        sentence = f"Sentence {k} of the long text carries about ten words of plain reading."
        sentences.append(sentence)
        n += len(sentence.split())
    return sentences


def gaps(log, start, end, sentences=None, ms_per_char=60):
    """Silences in the audio: a write that came after the device had played
    everything before it (by snd_pcm_delay at the previous write). Returns
    (gap ms, at a sentence boundary?) pairs; boundaries are where the fake's
    audio for each sentence (60 ms a character) ends, within 100 ms."""
    writes = log.between(WRITES, start, end)
    rate = writes[0][5] if writes and writes[0][5] > 0 else 24000
    bounds, total = [], 0
    for sentence in sentences or []:
        total += len(sentence) * ms_per_char * rate // 1000
        bounds.append(total)
    found, written = [], 0
    for prev, cur in zip(writes, writes[1:]):
        written += prev[3]
        if prev[4] < 0 or prev[5] <= 0:
            continue
        dry = prev[0] + prev[4] * 1_000_000_000 // prev[5]
        if cur[0] > dry:
            boundary = any(abs(written - b) <= rate // 10 for b in bounds)
            found.append(((cur[0] - dry) / MS, boundary))
    return found


def run_cloud(sock, log, fake, rounds, long_seconds):
    # Herald keeps to Deepgram's 20 flushes a minute per connection (then it
    # falls back to espeak-ng): 2 + 5 + 5 + 3 + ~3 sentences stay below.
    rounds = min(rounds, 5)
    c = SSIP(sock, "cloud")
    out = {}
    fake.command("delay 0")
    for text in ("Warm up.", "Ready."):
        _, msg = c.speak(text)
        c.wait_event(msg)
        settle()
    share, total = [], []

    def share_rounds(first):
        """Herald's share of first audio for `rounds` new sentences, numbered from `first`."""
        for i in range(rounds):
            t0, msg = c.speak(SHORT[i % len(SHORT)].format(first + i))
            c.wait_event(msg, timeout=30)
            w = log.first(WRITES, t0)
            f, a = fake.first("flush", t0), fake.first("first-audio", t0)
            if w and f and a:
                total.append((w[0] - t0) / MS)
                share.append(((w[0] - t0) - (a - f)) / MS)
            settle()

    started = now()
    share_rounds(100)
    fake.command("delay 100")
    delayed = []
    for i in range(rounds):
        t0, msg = c.speak(SHORT[i % len(SHORT)].format(i + 200))
        c.wait_event(msg, timeout=30)
        w = log.first(WRITES, t0)
        delayed.append((w[0] - t0) / MS if w else None)
        settle()
    out["cloud_100ms"] = stats(delayed)
    # Cache: the first of each is a miss (100 ms away); the repeats must not reach the service.
    words = ["link", "button", "heading level 2"]
    for word in words:
        _, msg = c.speak(word)
        c.wait_event(msg, timeout=30)
        settle()
    before = fake.flushes()
    hits = []
    for i in range(rounds):
        t0, msg = c.speak(words[i % len(words)])
        c.wait_event(msg, timeout=30)
        w = log.first(WRITES, t0)
        hits.append((w[0] - t0) / MS if w else None)
        settle()
    after = fake.flushes()
    out["cache"] = stats(hits)
    if out["cache"] is not None:
        out["cache"]["service_requests"] = (after - before) if after is not None and before is not None else None
    # A 2,000-word text, 150 ms before each flush's first byte: silences between sentences.
    fake.command("delay 150")
    sentences = long_sentences()
    t0, msg = c.speak(" ".join(sentences))
    time.sleep(long_seconds)
    end = now()
    c.cmd("CANCEL self")
    found = gaps(log, t0, end, sentences)
    fake.refresh()
    flushes = len([1 for t, k in fake.events if k == "flush" and t0 <= t <= end])
    at_bounds = [g for g, b in found if b]
    out["long_gaps"] = {"max": max(at_bounds) if at_bounds else 0.0,
                        "max_anywhere": max([g for g, _ in found]) if found else 0.0,
                        "over_20ms": len([g for g, _ in found if g > 20]),
                        "sentences": flushes, "seconds": long_seconds}
    fake.command("delay 0")
    settle(0.5)
    # Five samples make a jumpy median: once the first batch's flushes have
    # left Deepgram's minute (the rest of this part used 12 or so), a second.
    time.sleep(max(0.0, 61.0 - (now() - started) / 1e9))
    share_rounds(300)
    out["cloud_share"], out["cloud_total"] = stats(share), stats(total)
    return c, out


def voice_of(log, t0, before, rates):
    """The first write between t0 and before, and which engine's rate it was at."""
    w = log.first(WRITES, t0, before)
    if not w:
        return None, None
    return w, rates.get(w[5], f"{w[5]} Hz")


def run_orca(sock, log, fake, seconds=80.0, interval=0.4, burst=40, burst_interval=0.1):
    """Orca's pace: CANCEL self, then a short SPEAK, every 0.4 s for 80 s, then
    40 at 0.1 s, each a new text (no cache), 100 ms before the fake's first byte.
    Which voice began each message is read off the rate of its first audio
    (aura 24 kHz, espeak-ng 22.05 kHz)."""
    c = SSIP(sock, "orca")
    c.cmd("SET self PRIORITY message")
    fake.command("delay 100")
    fake.flushes()
    before = list(getattr(fake, "counts", []))
    sent = []
    start = time.monotonic()
    index = 0
    plan = [interval] * int(seconds / interval) + [burst_interval] * burst
    for pause in plan:
        c.cmd("CANCEL self")
        t0, msg = c.speak(f"Item {index} of the list, link, visited {index * 7}.")
        sent.append((t0, msg))
        index += 1
        target = start + sum(plan[:index])
        time.sleep(max(0.0, target - time.monotonic()))
    time.sleep(2.0)
    c.cmd("CANCEL self")
    with c.lock:
        began = {m for _, code, m in c.events if code == "701"}
    rates = {24000: "aura", 22050: "espeak-ng"}
    voices, first = {}, []
    for i, (t0, msg) in enumerate(sent):
        if msg not in began:
            continue
        limit = sent[i + 1][0] if i + 1 < len(sent) else t0 + 3 * 10**9
        w, voice = voice_of(log, t0, limit, rates)
        voices[voice] = voices.get(voice, 0) + 1
        if voice == "aura":
            first.append((w[0] - t0) / MS)
    fake.flushes()
    after = list(getattr(fake, "counts", []))
    delta = [a - b for a, b in zip(after, before)] if before and after else []
    fake.command("delay 0")
    return c, {"orca": {"sent": len(sent), "began": len(began), "voices": voices,
                        "share": 100.0 * voices.get("aura", 0) / max(1, len(began)),
                        "first": stats(first), "service": delta}}


def run_rate(name, sock, log, rounds, fake=None):
    """First audio at RATE 0 and RATE 60: what the time-scale stage adds."""
    c = SSIP(sock, name + "-rate")
    c.cmd("SET self PRIORITY message")
    if fake:
        fake.command("delay 0")
    out = {}
    for rate in (0, 60):
        c.cmd(f"SET self RATE {rate}")
        firsts = []
        for i in range(rounds):
            t0, msg = c.speak(SHORT[i % len(SHORT)].format(1000 * (rate + 1) + i))
            c.wait_event(msg, timeout=30)
            w = log.first(WRITES, t0)
            firsts.append((w[0] - t0) / MS if w else None)
            settle()
        out[f"rate{rate}"] = stats(firsts)
    c.cmd("SET self RATE 0")
    return c, out


def run_end(name, sock, log, rounds):
    """When a message ends against when its audio does: 702 END after the last
    write's audio has played (its time + the delay it reported), and the gap
    from one queued message's last audio to the next one's first."""
    c = SSIP(sock, name + "-end")
    c.cmd("SET self PRIORITY message")
    late, gaps_ms = [], []
    for i in range(rounds):
        t0, first = c.speak(SHORT[i % len(SHORT)].format(500 + i))
        _, second = c.speak(SHORT[(i + 1) % len(SHORT)].format(600 + i))
        e1 = c.wait_event(first, ("702", "703"), timeout=15)
        e2 = c.wait_event(second, ("702", "703"), timeout=15)
        if not (e1 and e2) or e1[1] != "702" or e2[1] != "702":
            late.append(None)
            continue
        writes = log.between(WRITES, t0, e1[0])
        if writes:
            w = writes[-1]
            rate = w[5] or 22050
            # The delay right after the write counts the frames just written.
            played = w[0] + (w[4] if w[4] >= 0 else w[3]) * 1_000_000_000 // rate
            late.append((e1[0] - played) / MS)
            nxt = log.first(WRITES, e1[0])
            if nxt:
                gaps_ms.append((nxt[0] - played) / MS)
        settle(0.4)
    return c, {"end_late": stats(late), "queued_gap": stats(gaps_ms)}


def run_dbus(address, log, rounds, herald_pid=None):
    """CANCEL → drop and → Canceled over Herald's D-Bus interface (python3-gi);
    Skip to the next sentence → drop and → its first audio, as a person
    moving in a reading hears it."""
    from gi.repository import Gio, GLib
    bus = Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    context = GLib.MainContext.default()
    canceled = {}

    def on_signal(_c, _s, _p, _i, signal, params):
        canceled[params.unpack()[0]] = now()

    bus.signal_subscribe("org.herald.Speech1", "org.herald.Speech1", "Canceled", "/org/herald/Speech1", None,
                         Gio.DBusSignalFlags.NONE, on_signal)

    def call(method, args, sig):
        return bus.call_sync("org.herald.Speech1", "/org/herald/Speech1", "org.herald.Speech1", method,
                             GLib.Variant(sig, args), None, Gio.DBusCallFlags.NONE, 5000, None)

    drops, events, firsts, skip_drops, skip_firsts = [], [], [], [], []
    for i in range(rounds + 1):
        ts = now()
        msg = call("Speak", (LONG, "text", {}), "(ssa{sv})").unpack()[0]
        w = log.wait_first(WRITES, ts)
        if not w:
            continue
        if i > 0:
            firsts.append((w[0] - ts) / MS)
        time.sleep(0.3)
        t0 = now()
        call("Skip", (msg, 1, "sentence"), "(tis)")
        d = log.wait_first(STOPS, t0, 1.0)
        w = log.wait_first(WRITES, d[0], 1.0) if d else None
        if i > 0:
            skip_drops.append((d[0] - t0) / MS if d else None)
            skip_firsts.append((w[0] - t0) / MS if w else None)
        time.sleep(0.3)
        t0 = now()
        call("Cancel", ("self",), "(s)")
        deadline = time.monotonic() + 5
        while msg not in canceled and time.monotonic() < deadline:
            context.iteration(False)
            time.sleep(0.0002)
        d = log.wait_first(STOPS, t0, 1.0)
        if i > 0:
            drops.append((d[0] - t0) / MS if d else None)
            events.append((canceled[msg] - t0) / MS if msg in canceled else None)
        settle(0.4)
    out = {"dbus_speak": stats(firsts), "dbus_cancel_drop": stats(drops), "dbus_cancel_signal": stats(events),
           "dbus_skip_drop": stats(skip_drops), "dbus_skip_first": stats(skip_firsts)}
    if herald_pid:
        # What following the words costs heraldd while it speaks: a Range per
        # word (nobody here listens, as on most desktops), against ranges off.
        for key, options in [("dbus_cpu_ranges", {}), ("dbus_cpu_no_ranges", {"ranges": GLib.Variant("b", False)})]:
            msg = call("Speak", (" ".join([LONG] * 4), "text", options), "(ssa{sv})").unpack()[0]
            time.sleep(1.0)
            out[key] = cost_window({"herald": [herald_pid]}, 4.0)["herald"]["cpu_ms_per_s"]
            call("Cancel", (str(msg),), "(s)")
            settle(0.4)
    return out


def pids_of(root):
    """root and its descendants (speech-dispatcher's modules are its children)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return found


def rss_mb(root, field="VmRSS:"):
    """Resident memory of root and its descendants: VmRSS, or RssAnon (memory
    private to them, without the code pages of the binaries and libraries)."""
    total = 0
    for pid in pids_of(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024.0


def usage(root):
    """(CPU ticks, context switches over all threads, switches by thread name) of root and its descendants."""
    ticks, switches, by_thread = 0, 0, {}
    for pid in pids_of(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/status") as f:
                    for line in f:
                        if line.startswith("Name:"):
                            name = f"{pid}/{task} {line.split(None, 1)[1].strip()}"
                        if "ctxt_switches" in line:
                            switches += int(line.split()[1])
                            by_thread[name] = by_thread.get(name, 0) + int(line.split()[1])
        except OSError:
            pass
    return ticks, switches, by_thread


def cost_sample(pids):
    """(CPU ns, context switches) over every thread of pids and their
    descendants: schedstat's time on the CPU (ns, unlike stat's 10 ms ticks)
    and voluntary + involuntary switches."""
    ns, switches = 0, 0
    for root in pids:
        for pid in pids_of(root):
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                        ns += int(f.read().split()[0])
                    with open(f"/proc/{pid}/task/{task}/status") as f:
                        switches += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
            except OSError:
                pass
    return ns, switches


def cost_window(groups, seconds):
    """CPU ms and context switches a second of each group of processes over the next `seconds`."""
    before = {k: cost_sample(v) for k, v in groups.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    after = {k: cost_sample(v) for k, v in groups.items()}
    return {k: {"cpu_ms_per_s": (after[k][0] - before[k][0]) / 1e6 / elapsed,
                "switches_per_s": (after[k][1] - before[k][1]) / elapsed} for k in groups}


def run_cost(name, sock, log, herald_pids, server_pids, speak_seconds=6.0, idle_after=10.0, idle_seconds=10.0):
    """What heraldd and its sound server cost while heraldd speaks without a
    break (a long text, from 1 s after its first write), and while it is
    silent after speaking: `idle_after` s after the stop (past the servers'
    5 s suspend timeout), for `idle_seconds`, while heraldd still holds its
    stream open (it closes it after 30 s of silence)."""
    c = SSIP(sock, name + "-cost")
    c.cmd("SET self PRIORITY text")
    text = " ".join([LONG] * 4)
    t0, msg = c.speak(text)
    if not log.wait_first(WRITES, t0):
        return None
    time.sleep(1.0)
    groups = {"herald": herald_pids, "server": server_pids}
    speaking = cost_window(groups, speak_seconds)
    drain_check = c.wait_event(msg, ("702", "703"), timeout=0.1)  # still speaking when the window closed
    c.cmd("CANCEL self")
    c.wait_event(msg, ("703", "702"), timeout=5)
    time.sleep(idle_after)
    idle_cost = cost_window(groups, idle_seconds)
    return {"speaking": speaking, "idle": idle_cost, "spoke_throughout": drain_check is None}


def idle(roots, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    before = {k: usage(v) for k, v in roots.items()}
    time.sleep(seconds)
    after = {k: usage(v) for k, v in roots.items()}
    return {k: {"cpu_ms": (after[k][0] - before[k][0]) * 1000.0 / hz,
                "wakeups_per_s": (after[k][1] - before[k][1]) / seconds,
                "wakeups_by_thread": {t: n - before[k][2].get(t, 0) for t, n in after[k][2].items()
                                      if n - before[k][2].get(t, 0) > 0}} for k in roots}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--herald-socket")
    ap.add_argument("--herald-log")
    ap.add_argument("--herald-pid", type=int)
    ap.add_argument("--speechd-socket")
    ap.add_argument("--speechd-log")
    ap.add_argument("--speechd-pid", type=int)
    ap.add_argument("--cloud-socket")
    ap.add_argument("--cloud-log")
    ap.add_argument("--pw-socket", help="a heraldd (offline) playing through pipewire-pulse")
    ap.add_argument("--pw-log")
    ap.add_argument("--pw-pid", type=int)
    ap.add_argument("--pwalsa-socket", help="a heraldd (offline) playing through pipewire-alsa's plugin")
    ap.add_argument("--pwalsa-log")
    ap.add_argument("--pwalsa-pid", type=int)
    ap.add_argument("--pulse-server-pid", type=int)
    ap.add_argument("--pacat-pid", type=int, help="the stream that keeps PulseAudio's sink ticking; ended before the cost part")
    ap.add_argument("--pipewire-pids", help="pipewire,pipewire-pulse")
    ap.add_argument("--orca-seconds", type=float, default=80)
    ap.add_argument("--fake-stdin")
    ap.add_argument("--fake-stdout")
    ap.add_argument("--dbus-address")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--storm-seconds", type=float, default=10)
    ap.add_argument("--long-seconds", type=float, default=25)
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--idle-settle", type=float, default=35,
                    help="seconds of silence before the idle window: heraldd closes the sound device after 30")
    ap.add_argument("--json")
    ap.add_argument("--only", default="offline,storm,dbus,cloud,orca,rate,pipewire,cost,idle",
                    help="comma-separated parts to run: offline,storm,dbus,cloud,orca,rate,pipewire,cost,idle")
    a = ap.parse_args()
    only = set(a.only.split(","))
    result = {"herald": {}, "speechd": {}}
    daemons = [("herald", a.herald_socket, AlsaLog(a.herald_log)), ("speechd", a.speechd_socket, AlsaLog(a.speechd_log))]
    for name, sock, log in daemons:
        if "offline" in only:
            print(f"bench: offline figures, {name}", file=sys.stderr)
            _, out = run_offline(name, sock, log, a.rounds)
            result[name].update(out)
        if "storm" in only:
            print(f"bench: storm, {name}", file=sys.stderr)
            result[name]["storm"] = run_storm(SSIP(sock, name + "-storm"), log, a.storm_seconds)
    if a.dbus_address and "dbus" in only:
        print("bench: D-Bus, herald", file=sys.stderr)
        result["herald"].update(run_dbus(a.dbus_address, daemons[0][2], a.rounds, a.herald_pid))
    if a.cloud_socket and "cloud" in only:
        print("bench: cloud figures, herald", file=sys.stderr)
        _, out = run_cloud(a.cloud_socket, AlsaLog(a.cloud_log), Fake(a.fake_stdin, a.fake_stdout), a.rounds, a.long_seconds)
        result["herald"].update(out)
    # Before Orca's pace, which spends the cloud connections' budgets: the rate
    # figures compare the same path (the WebSocket) at both rates.
    if "rate" in only:
        print("bench: RATE 0 against RATE 60", file=sys.stderr)
        _, out = run_rate("herald", a.herald_socket, daemons[0][2], a.rounds)
        result["herald"].update(out)
        if a.cloud_socket:
            _, out = run_rate("cloud", a.cloud_socket, AlsaLog(a.cloud_log), min(a.rounds, 8), Fake(a.fake_stdin, a.fake_stdout))
            result["herald"].update({"cloud_" + k: v for k, v in out.items()})
    if a.cloud_socket and "orca" in only:
        print(f"bench: Orca's pace for {a.orca_seconds:g} s and a burst, cloud voice", file=sys.stderr)
        fake = Fake(a.fake_stdin, a.fake_stdout)
        _, out = run_orca(a.cloud_socket, AlsaLog(a.cloud_log), fake, seconds=a.orca_seconds)
        result["herald"].update(out)
    if "pipewire" in only:
        print("bench: end of messages, PulseAudio", file=sys.stderr)
        _, out = run_end("herald", a.herald_socket, daemons[0][2], min(a.rounds, 10))
        result["herald"].update(out)
        if a.pw_socket:
            print("bench: offline figures and end of messages, pipewire-pulse", file=sys.stderr)
            pw_log = AlsaLog(a.pw_log)
            _, out = run_offline("pipewire", a.pw_socket, pw_log, a.rounds)
            _, end = run_end("pipewire", a.pw_socket, pw_log, min(a.rounds, 10))
            out.update(end)
            result["pipewire"] = out
        if a.pwalsa_socket:
            print("bench: offline figures and end of messages, pipewire-alsa", file=sys.stderr)
            pwalsa_log = AlsaLog(a.pwalsa_log)
            _, out = run_offline("pwalsa", a.pwalsa_socket, pwalsa_log, a.rounds)
            _, end = run_end("pwalsa", a.pwalsa_socket, pwalsa_log, min(a.rounds, 10))
            out.update(end)
            result["pwalsa"] = out
    if "cost" in only:
        if a.pacat_pid:
            # The cost part measures what Herald adds; the ticking stream would hide it.
            os.kill(a.pacat_pid, 15)
        costs = {}
        pw_servers = [int(p) for p in (a.pipewire_pids or "").split(",") if p]
        for label, sock, log_path, pid, servers in [
                ("PulseAudio", a.herald_socket, a.herald_log, a.herald_pid, [a.pulse_server_pid]),
                ("pipewire-pulse", a.pw_socket, a.pw_log, a.pw_pid, pw_servers),
                ("pipewire-alsa", a.pwalsa_socket, a.pwalsa_log, a.pwalsa_pid, pw_servers)]:
            if sock and pid and all(servers):
                print(f"bench: cost while speaking and idle, {label}", file=sys.stderr)
                costs[label] = run_cost(label, sock, AlsaLog(log_path), [pid], servers)
        result["cost"] = costs
    result["herald"]["rss_mb"] = rss_mb(a.herald_pid)
    result["speechd"]["rss_mb"] = rss_mb(a.speechd_pid)
    result["herald"]["anon_mb"] = rss_mb(a.herald_pid, "RssAnon:")
    result["speechd"]["anon_mb"] = rss_mb(a.speechd_pid, "RssAnon:")
    settle = a.idle_settle if "idle" in only else 2
    print(f"bench: {settle:g} s of silence, then idle for {a.idle_seconds:g} s", file=sys.stderr)
    time.sleep(settle)  # both finish playing out, and heraldd closes the device
    usage_idle = idle({"herald": a.herald_pid, "speechd": a.speechd_pid}, a.idle_seconds if "idle" in only else 0.1)
    for k in usage_idle:
        result[k]["idle"] = usage_idle[k]
        result[k]["idle"]["seconds"] = a.idle_seconds
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    print_table(result)


def fmt(s, key="median"):
    if s is None:
        return "—"
    if isinstance(s, dict):
        if s.get(key) is None:
            return "—"
        return f"{s[key]:.1f} (p90 {s['p90']:.1f})" if key == "median" and "p90" in s else f"{s[key]:.1f}"
    return f"{s:.1f}"


def ratio(h, s, key="median"):
    try:
        hv = h[key] if isinstance(h, dict) else h
        sv = s[key] if isinstance(s, dict) else s
        return f"{hv / sv:.2f}" if sv else "—"
    except (TypeError, KeyError):
        return "—"


def print_table(r):
    h, s = r["herald"], r["speechd"]
    rows = [
        ("SPEAK → first audio, ms", "speak"),
        ("CHAR → first audio, ms", "char"),
        ("CANCEL → snd_pcm_drop, ms", "cancel_drop"),
        ("CANCEL → 703 CANCELED, ms", "cancel_703"),
        ("important over text → first audio, ms", "important"),
        ("audio queued ahead of playback, snd_pcm_delay (max per utterance), ms", "queued"),
        ("  of which in the ALSA buffer (buffer − avail), ms", "queued_ring"),
        ("storm 50 CANCEL+SPEAK/s → first audio, ms", "storm"),
    ]
    lines = ["| figure | Herald | Speech Dispatcher | ratio |", "|---|---|---|---|"]
    for label, key in rows:
        lines.append(f"| {label} | {fmt(h.get(key))} | {fmt(s.get(key))} | {ratio(h.get(key), s.get(key))} |")
    for name in ("storm",):
        for who, d in (("Herald", h), ("Speech Dispatcher", s)):
            st = d.get(name) or {}
            lines.append(f"| storm: pairs sent / without audio before the next ({who}) | "
                         f"{st.get('pairs', '—')} at {st.get('achieved_rate', 0):.0f}/s | {st.get('missed', '—')} | |")
    lines.append(f"| RSS after use (daemon + modules), MB | {fmt(h.get('rss_mb'))} | {fmt(s.get('rss_mb'))} | "
                 f"{ratio(h.get('rss_mb'), s.get('rss_mb'))} |")
    lines.append(f"| of which private (RssAnon), MB | {fmt(h.get('anon_mb'))} | {fmt(s.get('anon_mb'))} | "
                 f"{ratio(h.get('anon_mb'), s.get('anon_mb'))} |")
    hi, si = h.get("idle", {}), s.get("idle", {})
    lines.append(f"| idle CPU over {hi.get('seconds', 0):g} s, ms | {fmt(hi.get('cpu_ms'))} | {fmt(si.get('cpu_ms'))} | |")
    lines.append(f"| idle wake-ups (context switches)/s | {fmt(hi.get('wakeups_per_s'))} | {fmt(si.get('wakeups_per_s'))} | |")
    for label, key in [("D-Bus Speak → first audio, ms", "dbus_speak"),
                       ("D-Bus Cancel → snd_pcm_drop, ms", "dbus_cancel_drop"),
                       ("D-Bus Cancel → Canceled signal, ms", "dbus_cancel_signal"),
                       ("D-Bus Skip (next sentence) → snd_pcm_drop, ms", "dbus_skip_drop"),
                       ("D-Bus Skip (next sentence) → its first audio, ms", "dbus_skip_first"),
                       ("D-Bus Speak, a Range per word: heraldd CPU ms/s speaking", "dbus_cpu_ranges"),
                       ("same with ranges: false", "dbus_cpu_no_ranges"),
                       ("cloud (fake, 0 ms): SPEAK → first audio, ms", "cloud_total"),
                       ("cloud (fake, 0 ms): Herald's own share, ms", "cloud_share"),
                       ("cloud (fake, 100 ms before first byte): SPEAK → first audio, ms", "cloud_100ms"),
                       ("cache: repeated \"link\"/\"button\"/\"heading level 2\" → first audio, ms", "cache")]:
        lines.append(f"| {label} | {fmt(h.get(key))} | n/a | |")
    if h.get("cache"):
        lines.append(f"| cache: requests to the service during the repeats | {h['cache'].get('service_requests')} | n/a | |")
    o = h.get("orca")
    if o:
        lines.append(f"| Orca's pace, cloud voice (100 ms before first byte): messages spoken by aura-2-en, % of those begun | "
                     f"{o['share']:.1f} ({o['voices']} of {o['began']} begun, {o['sent']} sent) | n/a | |")
        lines.append(f"| same: SPEAK → first audio, ms | {fmt(o['first'])} | n/a | |")
        if o.get("service"):
            lines.append(f"| same: service use (flushes, requests, POSTs, refused flushes, 429s) | {o['service']} | n/a | |")
    for label, key in [("espeak-ng: SPEAK → first audio at RATE 0, ms", "rate0"),
                       ("espeak-ng: SPEAK → first audio at RATE 60, ms", "rate60"),
                       ("cloud (fake, 0 ms): SPEAK → first audio at RATE 0, ms", "cloud_rate0"),
                       ("cloud (fake, 0 ms): SPEAK → first audio at RATE 60 (the sonic stage), ms", "cloud_rate60"),
                       ("702 END after the audio's end, PulseAudio, ms", "end_late"),
                       ("queued messages: last audio → next first audio, PulseAudio, ms", "queued_gap")]:
        if h.get(key) is not None:
            lines.append(f"| {label} | {fmt(h.get(key))} | n/a | |")
    pw = r.get("pipewire")
    if pw:
        for label, key in [("pipewire-pulse: SPEAK → first audio, ms", "speak"),
                           ("pipewire-pulse: CANCEL → snd_pcm_drop, ms", "cancel_drop"),
                           ("pipewire-pulse: 702 END after the audio's end, ms", "end_late"),
                           ("pipewire-pulse: queued messages, last audio → next first audio, ms", "queued_gap")]:
            lines.append(f"| {label} | {fmt(pw.get(key))} | n/a | |")
    pa = r.get("pwalsa")
    if pa:
        for label, key in [("pipewire-alsa: SPEAK → first audio, ms", "speak"),
                           ("pipewire-alsa: CANCEL → snd_pcm_drop, ms", "cancel_drop"),
                           ("pipewire-alsa: 702 END after the audio's end, ms", "end_late"),
                           ("pipewire-alsa: queued messages, last audio → next first audio, ms", "queued_gap"),
                           ("pipewire-alsa: audio queued ahead of playback, snd_pcm_delay, ms", "queued")]:
            lines.append(f"| {label} | {fmt(pa.get(key))} | n/a | |")
    for path, cost in (r.get("cost") or {}).items():
        if not cost:
            lines.append(f"| {path}: cost | — | n/a | |")
            continue
        for state in ("speaking", "idle"):
            hc, sc = cost[state]["herald"], cost[state]["server"]
            lines.append(f"| {path}, {state}: heraldd context switches/s; CPU ms/s | "
                         f"{hc['switches_per_s']:.1f}; {hc['cpu_ms_per_s']:.2f} | n/a | |")
            lines.append(f"| {path}, {state}: the server's context switches/s; CPU ms/s | "
                         f"{sc['switches_per_s']:.1f}; {sc['cpu_ms_per_s']:.2f} | n/a | |")
    g = h.get("long_gaps")
    if g:
        lines.append(f"| cloud 2,000 words, 150 ms per flush: longest gap between sentences, ms ({g['sentences']} "
                     f"sentences requested in {g['seconds']:g} s) | {g['max']:.1f} | n/a | |")
        lines.append(f"| same: longest gap anywhere, ms (gaps over 20 ms) | {g.get('max_anywhere', 0):.1f} "
                     f"({g['over_20ms']}) | n/a | |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
