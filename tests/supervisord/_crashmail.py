"""crashmail as superlance writes it, reduced to its core: on
PROCESS_STATE_EXITED with expected:0 it pipes a mail to the sendmail
command given as argv[1] (`sendmail -t -i`)."""
import subprocess, sys
from supervisor import childutils

sendmail = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if headers["eventname"] == "PROCESS_STATE_EXITED":
        pheaders, _ = childutils.eventdata(payload + "\n")
        if int(pheaders["expected"]) == 0:
            msg = ("Process %(processname)s in group %(groupname)s exited "
                   "unexpectedly (pid %(pid)s) from state %(from_state)s" % pheaders)
            mail = "To: ops@example.com\nSubject: crashmail: %s\n\n%s\n" % (pheaders["processname"], msg)
            subprocess.run([sendmail, "-t", "-i"], input=mail.encode(), check=True)
    childutils.listener.ok(sys.stdout)
