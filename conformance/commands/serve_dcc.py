"""``hanota serve-dcc``: the reference DCC, with its hubs and simulated premises, over HTTP + JSON.

The binding is ``conformance/dcc_http/openapi.yaml`` (docs/dcc-adapter.md). The world runs on a
virtual clock moved only by ``POST /time/advance`` and ``POST /time/run-until-idle``. Prints
``listening on http://HOST:PORT`` (``--listen 127.0.0.1:0`` picks a free port) and serves until
SIGTERM or Ctrl-C, then exits 0.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING

from hanota.conformance.commands._args import count_arg, parse_listen
from hanota.conformance.dcc_http.server import DEFAULT_MAX_BODY_BYTES, DccService, WorldConfig, make_app
from hanota.conformance.models.faults.dcc_faults import FAULTS
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

NAME = "serve-dcc"
HELP = "serve the reference DCC (hub and premises) over the DCC-side HTTP + JSON binding"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", required=True, type=parse_listen, metavar="HOST:PORT",
                        help="address to listen on; port 0 picks a free port (printed)")
    parser.add_argument("--rules", choices=("wg-2016", "as-implemented"), default="wg-2016",
                        help="the working group's rules (default) or SECMP0007 as implemented")
    parser.add_argument("--seed", type=count_arg, default=0, metavar="N",
                        help="seed of EUI-64s, the manufacturer test key and the alert stagger")
    parser.add_argument("--premises", type=count_arg, default=1, metavar="N",
                        help="dual-fuel premises built at start (Supplier A electricity, Supplier B "
                        "gas, an IHD and a PPMID each; default 1; more with POST /premises)")
    parser.add_argument("--max-image-bytes", type=count_arg, default=DEFAULT_MAX_IMAGE_BYTES, metavar="N",
                        help=f"the image size limit (default {DEFAULT_MAX_IMAGE_BYTES})")
    parser.add_argument("--service-level-ms", type=count_arg, default=300_000, metavar="MS",
                        help="alert service level (default 300000)")
    parser.add_argument("--alert-window-ms", type=count_arg, default=60_000, metavar="MS",
                        help="alerts are staggered at random within this window (default 60000)")
    parser.add_argument("--confirm-delay-ms", type=count_arg, default=60_000, metavar="MS",
                        help="alert (c) this long after activation was due (default 60000)")
    parser.add_argument("--dcc-fault", action="append", default=[], metavar="NAME",
                        help="break the rules on purpose (repeatable): " + ", ".join(sorted(FAULTS)))
    parser.add_argument("--max-body-bytes", type=count_arg, default=DEFAULT_MAX_BODY_BYTES, metavar="N",
                        help=f"refuse request bodies above this (default {DEFAULT_MAX_BODY_BYTES})")
    duis = parser.add_argument_group("DUIS binding (docs/dcc-duis.md)")
    duis.add_argument("--binding", choices=("http", "duis"), default="http",
                      help="http: the JSON binding (default); duis: signed DUIS at --duis-path, the JSON "
                      "test-support operations as the control channel under /control")
    duis.add_argument("--duis-pixit", metavar="FILE",
                      help="the DCC's DUIS configuration: its key and certificate, the Suppliers' "
                      "certificates")
    duis.add_argument("--duis-schema", metavar="FILE", help="the DUIS schema (overrides the file's)")
    duis.add_argument("--duis-path", default="/duis", metavar="PATH", help="where requests are POSTed")
    duis.add_argument("--response-address", metavar="URL",
                      help="where signed responses and alerts are POSTed (also settable over the control "
                      "channel: PUT /control/duis/response-address)")


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    unknown = sorted(set(args.dcc_fault) - FAULTS.keys())
    if unknown:
        print(f"hanota serve-dcc: unknown DCC fault(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.alert_window_ms > args.service_level_ms:
        print("hanota serve-dcc: --alert-window-ms must not exceed --service-level-ms", file=sys.stderr)
        return 2
    config = WorldConfig(rules=args.rules, seed=args.seed, dcc_faults=frozenset(args.dcc_fault),
                         max_image_bytes=args.max_image_bytes, alert_window_ms=args.alert_window_ms,
                         service_level_ms=args.service_level_ms, confirm_delay_ms=args.confirm_delay_ms)
    try:
        app = (_duis_app(args, config) if args.binding == "duis"
               else make_app(DccService(config, premises=args.premises), max_body_bytes=args.max_body_bytes))
    except HarnessUsageError as err:
        print(f"hanota serve-dcc: {err}", file=sys.stderr)
        return 2
    host, port = args.listen
    if problem := _port_taken(host, port):
        print(f"hanota serve-dcc: cannot listen on {host}:{port}: {problem}", file=sys.stderr)
        return 2
    try:
        server = make_server(host, port, app, threaded=False)
    except OSError as err:
        print(f"hanota serve-dcc: cannot listen on {host}:{port}: {err}", file=sys.stderr)
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    shown = f"[{server.host}]" if ":" in server.host else server.host
    scheme = "duis+http" if args.binding == "duis" else "http"
    path = args.duis_path if args.binding == "duis" else ""
    print(f"listening on {scheme}://{shown}:{server.port}{path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _port_taken(host: str, port: int) -> str | None:
    """Why the address cannot be bound, or None. Checked first: werkzeug's server reports a busy
    port itself on two lines and exits 1, where a usage error here is one line and exit 2."""
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.strerror or str(err)
    return None


def _duis_app(args: argparse.Namespace, config: WorldConfig) -> WSGIApplication:
    from hanota.conformance.duis.config import load_config
    from hanota.conformance.duis.server import DuisDccService, make_duis_app
    from hanota.protocol.duis import load_schema

    if not args.duis_pixit:
        raise HarnessUsageError("--binding duis needs --duis-pixit FILE (the DCC's key and certificate, the "
                                "Suppliers' certificates)")
    duis = load_config(args.duis_pixit).with_overrides(schema=args.duis_schema)
    if duis.schema is None:
        raise HarnessUsageError("--binding duis needs the DUIS schema (--duis-schema FILE)")
    duis.dcc_signer()  # a missing key is a usage error now, not at the first response
    service = DuisDccService(config, duis, load_schema(duis.schema), premises=args.premises,
                             response_address=args.response_address)
    return make_duis_app(service, path=args.duis_path, max_body_bytes=args.max_body_bytes)
