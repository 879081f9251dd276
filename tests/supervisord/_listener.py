"""An event listener written on supervisor.childutils (what superlance is
built on): it appends one line per event to the file named by argv[1]:
the event name and the payload's header fields (pid and when masked; the
data of PROCESS_LOG events),
then answers OK (or FAIL once for the first event when argv[2] is "fail-first")."""
import sys
from supervisor import childutils

out = open(sys.argv[1], "a")
fail_first = len(sys.argv) > 2 and sys.argv[2] == "fail-first"
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    fields = childutils.get_headers(payload.split("\n", 1)[0]) if payload else {}
    shown = " ".join("%s:%s" % (k, "<pid>" if k == "pid" and v != "0" else v)
                     for k, v in sorted(fields.items()) if k != "when")
    if headers["eventname"].startswith("PROCESS_LOG"):
        shown += " data=%r" % payload.split("\n", 1)[1]
    out.write("%s serial=%s poolserial=%s %s\n" % (headers["eventname"], headers["serial"], headers["poolserial"], shown))
    out.flush()
    if fail_first:
        fail_first = False
        childutils.listener.fail(sys.stdout)
    else:
        childutils.listener.ok(sys.stdout)
