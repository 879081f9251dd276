"""httpok as superlance writes it, reduced to its core: on every TICK it
GETs the URL (argv[1]); when that fails it restarts the program (argv[2])
through XML-RPC at SUPERVISOR_SERVER_URL (childutils.getRPCInterface), and
notes what it did in the file argv[3]."""
import os, sys, urllib.request
from supervisor import childutils

url, name, notes = sys.argv[1], sys.argv[2], sys.argv[3]
rpc = childutils.getRPCInterface(os.environ)
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if headers["eventname"].startswith("TICK"):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            status = "ok"
        except Exception:
            info = rpc.supervisor.getProcessInfo(name)
            if info["statename"] == "RUNNING":
                rpc.supervisor.stopProcess(name)
            rpc.supervisor.startProcess(name)
            status = "restarted %s (was pid %s)" % (name, info["pid"])
        with open(notes, "a") as f:
            f.write(status + "\n")
    childutils.listener.ok(sys.stdout)
