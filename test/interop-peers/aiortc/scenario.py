"""The interop scenario of ../PROTOCOL.md on aiortc data channels: what is sent, what is checked,
when channels are closed and what the report says.

All aiortc callbacks used here are plain (synchronous) functions: aiortc's event emitter calls them
inline, in the order the SCTP layer delivers messages. Work that has to wait (the bulk with its
back-pressure) runs in tasks started from them.
"""

import asyncio
import hashlib
import logging
import os
import re
import time
from typing import Dict, List, Optional

from aiortc import RTCDataChannel, RTCPeerConnection

from signaling import emit

log = logging.getLogger("peer.scenario")

TEXT = "interop: ünïcödé ✓ 漢字 🙂"
BINARY = bytes(range(256))
CHUNK = 16384
COUNT = 100
MIB = 1024 * 1024
LOW_THRESHOLD = 1 * MIB  # bufferedAmountLowThreshold
HIGH_WATER = 4 * MIB  # wait for "bufferedamountlow" while bufferedAmount is above this
HASH_LINE = re.compile(r"sha256:([0-9a-f]{64})")
UNORDERED_MESSAGES = frozenset("u%d" % i for i in range(COUNT))
PARTIAL_MESSAGES = frozenset("p%d" % i for i in range(COUNT))


class Failure(Exception):
    """The scenario failed: ``str(self)`` is the report's error, ``code`` the exit code."""

    def __init__(self, error: str, code: int = 1) -> None:
        super().__init__(error)
        self.code = code


class Scenario:
    def __init__(self, pc: RTCPeerConnection, role: str, stack: str, version: str, bulk_bytes: int) -> None:
        self.pc = pc
        self.role = role
        self.stack = stack
        self.version = version
        self.bulk_bytes = bulk_bytes
        # Resolved (with None) once the ok report is printed, or failed with a Failure.
        self.finished: asyncio.Future = asyncio.get_running_loop().create_future()
        self.reported = False
        self.tasks = set()  # keeps the sending tasks referenced

        # The offerer closes "unordered" and waits for the answerer's close of "partial"; and vice versa.
        self.own_close = "unordered" if role == "offer" else "partial"
        self.peer_close = "partial" if role == "offer" else "unordered"
        self.channels: Dict[str, RTCDataChannel] = {}

        # Receiving on "reliable".
        self.received = 0  # messages received on "reliable" so far
        self.text_ok = False
        self.binary_ok = False
        self.bulk_hash = hashlib.sha256()
        self.bulk_received = 0
        self.bulk_started: Optional[float] = None
        self.bulk_seconds: Optional[float] = None
        self.hash_ok = False
        # Receiving on the other two.
        self.unordered_seen = set()
        self.partial_count = 0
        # Channels the peer announced, as aiortc reports them.
        self.accepted: List[dict] = []

        # Progress of the ending.
        self.bulk_sent = False  # our bulk and its sha256 line are queued on "reliable"
        self.done_sent = False
        self.done_received = False
        self.own_closed = False
        self.close_observed: Optional[str] = None

        pc.on("datachannel", self._on_datachannel)
        pc.on("connectionstatechange", self._on_connection_state)

    # ---- failures ----------------------------------------------------------------------------

    def fail(self, error: str, code: int = 1) -> None:
        """Fail the run (first failure wins; nothing fails after the ok report)."""
        if self.finished.done():
            return
        log.error("FAILED: %s", error)
        self._log_sctp_state()
        self.finished.set_exception(Failure(error, code))

    def timeout(self, seconds: float) -> None:
        """The --timeout expired: fail with what was still missing."""
        missing = []
        reliable = self.channels.get("reliable")
        if reliable is None or (reliable.readyState != "open" and self.received == 0):
            missing.append("reliable channel not open (connection state %s)" % self.pc.connectionState)
        else:
            if not self.hash_ok:
                missing.append("bulk incomplete (%d bytes received)" % self.bulk_received)
            if len(self.unordered_seen) < COUNT:
                missing.append("unordered has %d of %d" % (len(self.unordered_seen), COUNT))
            if not self.bulk_sent:
                missing.append("own bulk not yet queued")
            if not self.done_received:
                missing.append("no 'done' received")
            if self.own_closed and not self.close_observed:
                missing.append("peer's close of '%s' not observed" % self.peer_close)
        self.fail("timeout after %g s: %s" % (seconds, "; ".join(missing) or "no progress"), code=3)

    def _log_sctp_state(self) -> None:
        """Diagnostics for a failed or stalled run: aiortc's SCTP association state (private attributes
        of aiortc 1.4's RTCSctpTransport, read only, for the log)."""
        try:
            self._log_sctp_state_unguarded()
        except Exception as e:  # diagnostics must never get in the way of the report
            log.warning("cannot read the SCTP state: %s: %s", type(e).__name__, e)

    def _log_sctp_state_unguarded(self) -> None:
        sctp = self.pc.sctp
        if sctp is None:
            return
        names = ["_association_state", "_cwnd", "_flight_size", "_rto", "_last_sacked_tsn",
                 "_advanced_peer_ack_tsn", "_last_received_tsn"]
        state = {name: getattr(sctp, name, "?") for name in names}
        for name in ["_sent_queue", "_outbound_queue", "_sack_misordered", "_data_channel_queue"]:
            state[name] = len(getattr(sctp, name, ()))
        sent = getattr(sctp, "_sent_queue", None)
        if sent:
            state["first_unacked_tsn"] = sent[0].tsn
            state["retransmit_marked"] = sum(1 for c in sent if c._retransmit)
            state["acked_in_sent_queue"] = sum(1 for c in sent if c._acked)
        state["t3_running"] = getattr(sctp, "_t3_handle", None) is not None
        state["outbound_stream_seq"] = dict(getattr(sctp, "_outbound_stream_seq", {}))
        state["inbound_streams"] = {
            sid: {"next_seq": s.sequence_number, "reassembly": len(s.reassembly),
                  "first": (s.reassembly[0].tsn, s.reassembly[0].stream_seq) if s.reassembly else None}
            for sid, s in getattr(sctp, "_inbound_streams", {}).items()}
        log.warning("SCTP state: %s", state)

    def _spawn(self, coro, what: str) -> None:
        """Run a coroutine as a task; an exception in it fails the run."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)

        def finished(t: asyncio.Task) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.fail("%s: %s: %s" % (what, type(t.exception()).__name__, t.exception()))

        task.add_done_callback(finished)

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("connection state: %s", state)
        if state in ("failed", "closed") and not self.reported:
            self.fail("peer connection %s before the scenario finished" % state)

    # ---- channels --------------------------------------------------------------------------------

    def open_reliable(self) -> None:
        """Offerer only, before createOffer: the channel "reliable" (ordered, reliable)."""
        self._attach(self.pc.createDataChannel("reliable"))

    def _open_others(self) -> None:
        """Offerer only, once "reliable" is open: "unordered" and "partial"."""
        self._attach(self.pc.createDataChannel("unordered", ordered=False))
        self._attach(self.pc.createDataChannel("partial", maxRetransmits=0))

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        """A channel announced by the peer (DCEP). aiortc hands it over already open."""
        entry = {"label": channel.label, "ordered": channel.ordered, "maxRetransmits": channel.maxRetransmits}
        log.info("peer announced channel %s (state %s)", entry, channel.readyState)
        self.accepted.append(entry)
        if channel.label in ("reliable", "unordered", "partial") and channel.label not in self.channels:
            self._attach(channel)
        else:
            log.warning("ignoring unexpected channel %r", channel.label)

    def _attach(self, channel: RTCDataChannel) -> None:
        """Hook up the receive, close and open handlers of one of our three channels."""
        label = channel.label
        self.channels[label] = channel
        receivers = {"reliable": self._on_reliable, "unordered": self._on_unordered, "partial": self._on_partial}
        channel.on("message", receivers[label])
        channel.on("close", lambda: self._on_close(label))
        if channel.readyState == "open":
            self._on_open(channel)
        else:
            channel.on("open", lambda: self._on_open(channel))

    def _on_open(self, channel: RTCDataChannel) -> None:
        """Both sides run the same sending code once a channel is open."""
        label = channel.label
        log.info("channel %s open (id %s)", label, channel.id)
        if label == "reliable":
            self._spawn(self._send_reliable(channel), "sending on reliable")
            if self.role == "offer":
                self._open_others()
        else:
            prefix = "u" if label == "unordered" else "p"
            try:
                for i in range(COUNT):
                    channel.send("%s%d" % (prefix, i))
            except Exception as e:
                self.fail("sending on %s: %s: %s" % (label, type(e).__name__, e))

    def _on_close(self, label: str) -> None:
        log.info("channel %s closed", label)
        if self.reported:
            return
        if label == self.own_close and self.own_closed:
            return  # the close we asked for completed
        if label == self.peer_close and self.done_sent:
            # The peer closes it only after it got our "done"; our own close may still be pending.
            self.close_observed = label
            self._maybe_report()
            return
        self.fail("channel %s closed early" % label)

    # ---- sending -----------------------------------------------------------------------------------

    async def _send_reliable(self, channel: RTCDataChannel) -> None:
        """TEXT, BINARY, the bulk with back-pressure, then its sha256 line."""
        channel.send(TEXT)
        channel.send(BINARY)

        low = asyncio.Event()
        channel.bufferedAmountLowThreshold = LOW_THRESHOLD
        channel.on("bufferedamountlow", low.set)

        digest = hashlib.sha256()
        left = self.bulk_bytes
        while left > 0:
            while channel.bufferedAmount > HIGH_WATER:
                low.clear()
                await low.wait()  # the overall --timeout bounds this wait
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            channel.send(chunk)
            left -= len(chunk)
        channel.send("sha256:" + digest.hexdigest())
        log.info("bulk of %d bytes queued", self.bulk_bytes)
        self.bulk_sent = True
        self._maybe_send_done()

    def _maybe_send_done(self) -> None:
        """Send "done" once we are done receiving and our own bulk + hash line are queued."""
        if self.done_sent or not self.bulk_sent or not self.hash_ok or len(self.unordered_seen) < COUNT:
            return
        try:
            self.channels["reliable"].send("done")
        except Exception as e:
            self.fail("sending done: %s: %s" % (type(e).__name__, e))
            return
        log.info("done receiving; sent 'done'")
        self.done_sent = True
        self._maybe_close()

    def _maybe_close(self) -> None:
        """Once "done" went both ways, close our channel of the pair."""
        if self.own_closed or not self.done_sent or not self.done_received:
            return
        log.info("closing %s", self.own_close)
        self.own_closed = True
        self.channels[self.own_close].close()
        self._maybe_report()

    # ---- receiving ----------------------------------------------------------------------------

    def _on_reliable(self, message) -> None:
        self.received += 1
        n = self.received
        kind = "string" if isinstance(message, str) else "binary"
        if n == 1:
            if message != TEXT:
                return self.fail("reliable message 1: expected the TEXT string, got %s %s" % (kind, _show(message)))
            self.text_ok = True
        elif n == 2:
            if message != BINARY:
                return self.fail("reliable message 2: expected the 256-byte BINARY, got %s %s" % (kind, _show(message)))
            self.binary_ok = True
        elif not self.hash_ok and self.bulk_seconds is None:
            # Bulk phase: binary chunks until the sha256 line.
            if isinstance(message, bytes):
                if self.bulk_started is None:
                    self.bulk_started = time.monotonic()
                self.bulk_received += len(message)
                self.bulk_hash.update(message)
                return
            match = HASH_LINE.fullmatch(message)
            if not match:
                return self.fail("reliable message %d: expected bulk or a sha256: line, got string %s" % (n, _show(message)))
            end = time.monotonic()
            self.bulk_seconds = end - self.bulk_started if self.bulk_started is not None else 0.0
            ours = self.bulk_hash.hexdigest()
            if match.group(1) != ours:
                return self.fail("bulk hash mismatch after %d bytes: peer sent %s, received data hashes to %s"
                                 % (self.bulk_received, match.group(1), ours))
            self.hash_ok = True
            log.info("bulk received: %d bytes in %.3f s", self.bulk_received, self.bulk_seconds)
            self._maybe_send_done()
        else:
            # After the hash line only "done" may come.
            if message != "done" or self.done_received:
                return self.fail("reliable message %d: expected 'done', got %s %s" % (n, kind, _show(message)))
            log.info("received 'done'")
            self.done_received = True
            self._maybe_close()

    def _on_unordered(self, message) -> None:
        if message not in UNORDERED_MESSAGES:
            return self.fail("unordered: unexpected message %s" % _show(message))
        self.unordered_seen.add(message)
        if len(self.unordered_seen) == COUNT:
            log.info("unordered complete")
            self._maybe_send_done()

    def _on_partial(self, message) -> None:
        if message not in PARTIAL_MESSAGES:
            return self.fail("partial: unexpected message %s" % _show(message))
        self.partial_count += 1

    # ---- report --------------------------------------------------------------------------------

    def _maybe_report(self) -> None:
        if self.reported or self.finished.done() or not self.own_closed or not self.close_observed:
            return
        seconds = self.bulk_seconds or 0.0
        emit({
            "type": "report", "ok": True, "stack": self.stack, "version": self.version, "role": self.role,
            "text": self.text_ok, "binary": self.binary_ok,
            "bulkBytes": self.bulk_received, "bulkSeconds": round(seconds, 3),
            "bulkMBps": round(self.bulk_received / seconds / 1e6, 2) if seconds > 0 else None,
            "hashOk": self.hash_ok,
            "unordered": len(self.unordered_seen), "partial": self.partial_count,
            "accepted": self.accepted,
            "closeObserved": self.close_observed,
        })
        self.reported = True
        self.finished.set_result(None)

    def failed_report(self, error: str) -> None:
        emit({"type": "report", "ok": False, "stack": self.stack, "role": self.role, "error": error})


def _show(message) -> str:
    """A short printable form of a message for error texts."""
    if isinstance(message, bytes):
        return "of %d bytes" % len(message)
    return repr(message if len(message) <= 80 else message[:80] + "…")
