#!/usr/bin/python3
"""aiortc interop peer: runs the scenario of ../PROTOCOL.md against whatever peer is on the other side
of its signaling lines (stdin/stdout).

    /usr/bin/python3 peer.py --role offer|answer [--mib N] [--timeout S]

Needs Debian's python3-aiortc (1.4; see install.sh) and the system interpreter. Logs go to stderr
(PEER_LOG_LEVEL=DEBUG for more, AIORTC_LOG_LEVEL=DEBUG for aiortc/aioice internals).

Exit codes: 0 ok (after the report and stdin EOF), 1 scenario failure, 2 bad command line, 3 timeout.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time

# The modules beside this file (scenario.py, signaling.py); no __pycache__ in the work tree.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

log = logging.getLogger("peer")

STACK = "aiortc"
UDP_RCVBUF = 4 * 1024 * 1024  # SO_RCVBUF asked for on aioice's sockets, see configure_aioice


def parse_args(argv):
    """The command line of PROTOCOL.md. argparse reports errors on stderr and exits 2; -h is not
    offered (help would go to stdout) and abbreviations are refused, so any unknown option is an error."""
    parser = argparse.ArgumentParser(prog="peer.py", add_help=False, allow_abbrev=False)
    parser.add_argument("--role", required=True, choices=["offer", "answer"])
    parser.add_argument("--mib", type=float, default=16.0)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.mib < 0:
        parser.error("--mib must be >= 0")
    if args.timeout <= 0:
        parser.error("--timeout must be > 0")
    return args


def aiortc_version() -> str:
    """aiortc.__version__, or the Debian package version when the module has none."""
    import aiortc
    version = getattr(aiortc, "__version__", None)
    if version:
        return version
    try:
        import subprocess
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-aiortc"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def configure_aioice() -> None:
    """Two settings of aioice (aiortc's ICE), made through its module attributes before any gathering.

    1. Loopback only. aioice.ice.get_host_addresses(use_ipv4, use_ipv6) skips 127.0.0.1 (and would
       offer every other address); aioice.ice.Connection looks the name up in its module when it
       gathers, so replacing it makes aioice gather on 127.0.0.1 and nowhere else.
    2. The UDP receive buffer. aioice sets SO_RCVBUF on each socket to aioice.turn.UDP_SOCKET_BUFFER_SIZE
       (256 KiB). aiortc's sender ignores the peer's receive window, and on loopback a burst from the
       peer overflows that buffer faster than this pure-Python receiver drains it: datagrams are
       dropped (Udp RcvbufErrors), and the resulting loss on "partial" makes aiortc 1.4's FORWARD-TSN
       handling discard fragments of a reliable message that is half received, which stalls "reliable"
       for good (see README.md). A larger buffer (capped by net.core.rmem_max) avoids most drops.
       PEER_UDP_RCVBUF=<bytes> overrides it (e.g. 262144 for aioice's own value).
    """
    import aioice.ice
    import aioice.turn

    def loopback_addresses(use_ipv4: bool, use_ipv6: bool):
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_addresses
    aioice.turn.UDP_SOCKET_BUFFER_SIZE = int(os.environ.get("PEER_UDP_RCVBUF", str(UDP_RCVBUF)))


async def run(args, version: str) -> int:
    from aiortc import RTCConfiguration, RTCPeerConnection
    from scenario import Failure, Scenario
    from signaling import Signaling, StdinLines

    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + args.timeout

    # Start reading stdin before anything else: a description may already be waiting.
    lines = StdinLines(loop)
    lines.start()

    # Never any ICE server: aiortc 1.4 falls back to stun:stun.l.google.com:19302 when iceServers is
    # None (RTCIceGatherer.getDefaultIceServers), so the empty list must be explicit.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    scenario = Scenario(pc, args.role, STACK, version, round(args.mib * 1024 * 1024))
    signaling = Signaling(pc, args.role, lines, scenario)

    timer = loop.call_later(args.timeout, scenario.timeout, args.timeout)
    pump = asyncio.ensure_future(signaling.run())
    pump.add_done_callback(
        lambda t: t.cancelled() or t.exception() is None
        or scenario.fail("signaling: %s: %s" % (type(t.exception()).__name__, t.exception())))

    try:
        await scenario.finished
        code = 0
    except Failure as failure:
        scenario.failed_report(str(failure))
        code = failure.code
    timer.cancel()

    if code == 0:
        # Keep the connection up until stdin reaches EOF (the harness closes it once both reported).
        # Past the --timeout we stop waiting: the report is out, so this exits 0 without a second one.
        try:
            await asyncio.wait_for(lines.eof.wait(), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            log.warning("stdin still open at the --timeout after the report; exiting")

    pump.cancel()
    try:
        await asyncio.wait_for(pc.close(), 5)
    except Exception as e:
        log.warning("closing the peer connection: %s: %s", type(e).__name__, e)
    return code


def main() -> int:
    args = parse_args(sys.argv[1:])
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=os.environ.get("AIORTC_LOG_LEVEL", "WARNING").upper())
    log.setLevel(os.environ.get("PEER_LOG_LEVEL", "INFO").upper())
    try:
        version = aiortc_version()
    except ImportError as e:
        error = "aiortc is not installed for %s (%s); run install.sh" % (sys.executable, e)
        sys.stderr.write("peer.py: %s\n" % error)
        sys.stdout.write(json.dumps({"type": "report", "ok": False, "stack": STACK, "role": args.role,
                                     "error": error}) + "\n")
        sys.stdout.flush()
        return 1
    configure_aioice()
    log.info("aiortc %s, role %s, %g MiB, timeout %g s", version, args.role, args.mib, args.timeout)
    return asyncio.run(run(args, version))


if __name__ == "__main__":
    sys.exit(main())
