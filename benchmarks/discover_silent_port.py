"""How long `discover` takes when one of four ports never answers.

The claim (issue 3): probing 587, 465, 2525 and 25 at once takes about one timeout,
never the sum. Four loopback servers stand in for the ports: two STARTTLS, one implicit
TLS, one silent (accepts, never greets). The run is measured as a ratio to the timeout,
and against a baseline in the same run: the same four probes one after another.

    python benchmarks/discover_silent_port.py [--timeout 2] [--rounds 3]

Run by hand, not by CI. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smtp_wizard.checks.discover import discover
from tests import smtp_servers as servers


async def loopback(host: str) -> list[str]:
    return ["127.0.0.1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    loop = servers.ServerLoop()
    certs = servers.Certificates.make(Path(tempfile.mkdtemp()))
    started = [
        servers.start_smtpd(loop, starttls=certs.good()),
        servers.start_smtpd(loop, implicit_tls=certs.good()),
        servers.start_smtpd(loop, starttls=certs.good()),
        servers.start_scripted(loop, servers.no_banner),
    ]
    ports = [
        (started[0].port, "starttls"),
        (started[1].port, "ssl"),
        (started[2].port, "starttls"),
        (started[3].port, "starttls"),
    ]

    silent = [servers.start_scripted(loop, servers.no_banner) for _ in range(4)]
    silent_ports = [(server.port, "starttls") for server in silent]

    def timed(chosen: list[tuple[int, str]], expect: list[str]) -> float:
        begin = time.monotonic()
        found = asyncio.run(
            discover(
                "localhost",
                resolve=loopback,
                ports=chosen,
                timeout=options.timeout,
                cafile=certs.cafile,
            )
        )
        assert [p.status for p in found.ports] == expect, found.ports
        return time.monotonic() - begin

    one_silent = [timed(ports, ["ok", "ok", "ok", "timeout"]) for _ in range(options.rounds)]
    all_silent = [timed(silent_ports, ["timeout"] * 4) for _ in range(options.rounds)]
    # Baseline in the same run: the four silent ports probed one after another.
    sequential = sum(timed([port], ["timeout"]) for port in silent_ports)
    loop.stop()

    t = options.timeout
    one, four = statistics.median(one_silent), statistics.median(all_silent)
    print(f"timeout                                 {t:.2f} s")
    print(f"4 ports, 1 silent, at once              {one:.3f} s   ratio to timeout {one / t:.2f}")
    print(f"4 ports, all silent, at once            {four:.3f} s   ratio to timeout {four / t:.2f}")
    print(
        f"4 silent ports one after another        {sequential:.3f} s   "
        f"ratio to timeout {sequential / t:.2f}"
    )
    print(f"at once / one after another (silent)    {four / sequential:.2f}")


if __name__ == "__main__":
    main()
