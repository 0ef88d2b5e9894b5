"""Signaling plumbing for the aiortc interop peer (see ../PROTOCOL.md).

- ``StdinLines``: reads stdin from the very start of the program on a helper thread and hands
  complete lines to the asyncio loop, so nothing is lost while the peer connection is set up.
- ``emit``: writes one JSON object as one line on stdout and flushes it (stdout carries nothing else).
- ``Signaling``: the offer/answer exchange and trickled candidates (held until the remote description
  is set), driven by the lines of stdin.
- Candidate helpers: which addresses are allowed, filtering ``a=candidate`` lines out of an SDP,
  turning a trickled ``candidate`` line into an aiortc ``RTCIceCandidate``.
"""

import asyncio
import ipaddress
import json
import logging
import os
import sys
import threading
from typing import List, Optional

from aiortc import RTCIceCandidate, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

log = logging.getLogger("peer.signaling")

# Our own candidates: loopback only (aiortc can use it once aioice is told to, see peer.py).
LOCAL_ADDRESS = "127.0.0.1"
# Remote candidates we accept: loopback, or the lab LAN that a namespace provides for stacks that cannot
# use loopback (Firefox). Everything else (other IPv4, IPv6, mDNS names) is ignored.
LAB_NETWORK = ipaddress.ip_network("198.51.100.0/24")


def emit(message: dict) -> None:
    """Print one signaling/report line on stdout and flush it at once.

    json.dumps escapes non-ASCII, so the line is plain ASCII whatever the locale of stdout.
    """
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class StdinLines:
    """Lines of stdin, read by a daemon thread from the moment ``start`` is called.

    ``get()`` returns the next line (str, without the newline) or None once stdin reached EOF.
    The thread uses os.read on fd 0 (not sys.stdin) so that no Python-level buffer lock is held
    by a blocked daemon thread when the interpreter shuts down.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: "asyncio.Queue[Optional[str]]" = asyncio.Queue()
        self.eof = asyncio.Event()

    def start(self) -> None:
        threading.Thread(target=self._read, name="stdin-reader", daemon=True).start()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = os.read(0, 65536)
            except OSError as e:
                log.warning("reading stdin failed: %s", e)
                data = b""
            if not data:
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._loop.call_soon_threadsafe(self._put, line.decode("utf-8", "replace"))
        if pending.strip():
            self._loop.call_soon_threadsafe(self._put, pending.decode("utf-8", "replace"))
        self._loop.call_soon_threadsafe(self._put, None)

    def _put(self, line: Optional[str]) -> None:
        if line is None:
            self.eof.set()
        self._queue.put_nowait(line)

    async def get(self) -> Optional[str]:
        return await self._queue.get()


def address_allowed(address: str) -> bool:
    """True for a remote candidate address this peer may use: 127.0.0.1 or the lab LAN (IPv4 only)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a hostname, e.g. an mDNS "….local" name
    return ip.version == 4 and (str(ip) == LOCAL_ADDRESS or ip in LAB_NETWORK)


def _candidate_fields(candidate: str) -> List[str]:
    """The whitespace-separated fields of a candidate attribute, without "a=" / "candidate:"."""
    text = candidate.strip()
    if text.startswith("a="):
        text = text[2:]
    if text.startswith("candidate:"):
        text = text[len("candidate:"):]
    return text.split()


def candidate_usable(candidate: str, allow) -> bool:
    """Whether a candidate attribute is a UDP candidate whose address passes ``allow``."""
    fields = _candidate_fields(candidate)
    # foundation component transport priority address port "typ" type ...
    return len(fields) >= 8 and fields[2].lower() == "udp" and allow(fields[4])


def filter_sdp_candidates(sdp: str, allow, what: str) -> str:
    """Drop the ``a=candidate`` lines of an SDP whose candidate is not usable (see candidate_usable)."""
    kept = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and not candidate_usable(line, allow):
            log.info("dropping %s candidate: %s", what, line)
            continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def sdp_mids(sdp: str) -> List[Optional[str]]:
    """The a=mid value of each m-section of an SDP, in order (None where a section has none)."""
    mids: List[Optional[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            mids.append(None)
        elif line.startswith("a=mid:") and mids:
            mids[-1] = line[len("a=mid:"):].strip()
    return mids


def to_rtc_candidate(message: dict, remote_sdp: str) -> Optional[RTCIceCandidate]:
    """Turn a ``candidate`` signaling line into an RTCIceCandidate for aiortc, or None to ignore it.

    aiortc's addIceCandidate only routes by sdpMid, so a candidate that carries only sdpMLineIndex
    gets the mid of that m-section of the remote description (and one with neither gets the first).
    """
    text = message["candidate"]
    if not candidate_usable(text, address_allowed):
        log.info("ignoring remote candidate: %s", text)
        return None
    candidate = candidate_from_sdp(" ".join(_candidate_fields(text)))
    mids = sdp_mids(remote_sdp)
    mid = message.get("sdpMid")
    index = message.get("sdpMLineIndex")
    if mid is None and isinstance(index, int) and 0 <= index < len(mids):
        mid = mids[index]
    if mid is None and mids:
        mid = mids[0]
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = index if isinstance(index, int) else 0
    return candidate


class Signaling:
    """Carries descriptions and candidates between stdin/stdout and the peer connection."""

    def __init__(self, pc, role: str, lines, scenario) -> None:
        self.pc = pc
        self.role = role
        self.lines = lines
        self.scenario = scenario
        self.remote_sdp = None  # the remote description's SDP once it is set
        self.held = []  # candidate lines that arrived before the remote description

    async def run(self) -> None:
        if self.role == "offer":
            # "reliable" is created before the offer so the offer carries the application m-section.
            self.scenario.open_reliable()
            await self.pc.setLocalDescription(await self.pc.createOffer())
            emit(self.local_description())
            log.info("offer sent")
        while True:
            line = await self.lines.get()
            if line is None:
                log.info("stdin reached EOF")
                return
            await self.handle(line)

    def local_description(self) -> dict:
        """Our description as a signaling line. aiortc puts all candidates in it (gathering completes
        in setLocalDescription); any candidate not on 127.0.0.1 is stripped."""
        desc = self.pc.localDescription
        sdp = filter_sdp_candidates(desc.sdp, lambda address: address == LOCAL_ADDRESS, "local")
        return {"type": desc.type, "sdp": sdp}

    async def handle(self, line: str) -> None:
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except ValueError:
            log.warning("ignoring a line that is not JSON: %.120s", line)
            return
        if not isinstance(message, dict):
            log.warning("ignoring a line that is not a JSON object: %.120s", line)
            return
        kind = message.get("type")
        expected = "answer" if self.role == "offer" else "offer"

        if kind == expected:
            if self.remote_sdp is not None:
                log.warning("ignoring a second %s", kind)
                return
            sdp = filter_sdp_candidates(str(message.get("sdp", "")), address_allowed, "remote")
            if not any(line.startswith("m=application ") for line in sdp.splitlines()):
                # aiortc 1.4 would accept it and answer with no m-section at all.
                self.scenario.fail("the remote %s has no m=application section" % kind)
                return
            try:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
            except Exception as e:
                self.scenario.fail("setRemoteDescription(%s) failed: %s: %s" % (kind, type(e).__name__, e))
                return
            self.remote_sdp = sdp
            log.info("remote %s set", kind)
            # Candidates that came before the description, in the order they came.
            held, self.held = self.held, []
            for candidate in held:
                await self.add_candidate(candidate)
            if self.role == "answer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                emit(self.local_description())
                log.info("answer sent")
        elif kind == "candidate":
            if self.remote_sdp is None:
                self.held.append(message)
            else:
                await self.add_candidate(message)
        elif kind in ("offer", "answer"):
            log.warning("ignoring an unexpected %s", kind)
        # Any other type (e.g. the peer's report) is ignored.

    async def add_candidate(self, message: dict) -> None:
        if not message.get("candidate"):
            # End-of-candidates. aiortc 1.4's addIceCandidate cannot take it; ICE just keeps checking.
            log.info("remote end-of-candidates (ignored)")
            return
        try:
            candidate = to_rtc_candidate(message, self.remote_sdp)
        except Exception as e:
            log.warning("ignoring an unparsable candidate %r: %s", message.get("candidate"), e)
            return
        if candidate is None:
            return
        log.info("adding remote candidate %s:%d (mid %s)", candidate.ip, candidate.port, candidate.sdpMid)
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as e:
            log.warning("addIceCandidate(%s) failed: %s: %s", message.get("candidate"), type(e).__name__, e)
