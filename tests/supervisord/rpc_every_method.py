"""Calls every XML-RPC method of supervisord 4.2.5 through Python's
xmlrpc.client (over the unix socket, with supervisor's own transport) and
prints what came back as JSON, with values that differ from run to run
(pids, times, versions) replaced by their type. Run against taskmaster and
against a real supervisord, the two outputs must be equal.

Expects programs: web (sleep, running), jobs:0/jobs:1 (running), manual
(autostart=false, prints out-line/err-line), crashy (FATAL)."""
import json, re, sys, time, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport

url = sys.argv[1]
here = sys.argv[2]
AUTO_LOG = re.compile(r"^/.*(-(stdout|stderr)---supervisor-.*|\.(out|err))\.log$")
proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport("", "", url))
VOLATILE = {"pid", "start", "stop", "now"}
TIME = re.compile(r"\w{3} \d\d \d\d:\d\d [AP]M")
UPTIME = re.compile(r"pid \d+, uptime \d+:\d\d:\d\d")


def shape(value, key=None):
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if key in VOLATILE and isinstance(value, int):
        return "<int>" if value == 0 or key != "pid" else "<pid>"
    if isinstance(value, str) and AUTO_LOG.match(value):
        return "<auto log>"
    if isinstance(value, str):
        value = value.replace(here, "<here>")
        return UPTIME.sub("pid <pid>, uptime <uptime>", TIME.sub("<time>", value))
    return value


def call(name, *args):
    try:
        value = shape(getattr(proxy, name.split(".")[0]).__getattr__(name.split(".")[1])(*args))
        # The order of a group's results is completion order, which load decides.
        if isinstance(value, list) and all(isinstance(v, dict) and "status" in v for v in value):
            value.sort(key=lambda v: (v["group"], v["name"]))
        return {"ok": value}
    except xmlrpc.client.Fault as f:
        return {"fault": f.faultCode, "string": f.faultString}


def settle(name, states, timeout=60):
    """Waits until `name` is in one of `states`: a fixed sleep after a
    no-wait call is not enough for either server on a loaded machine."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proxy.supervisor.getProcessInfo(name)["statename"] in states:
            return
        time.sleep(0.05)


results = {}
S = "supervisor."
for m in ["getAPIVersion", "getVersion", "getIdentification", "getState"]:
    results[m] = call(S + m)
results["getSupervisorVersion"] = {"type": type(proxy.supervisor.getSupervisorVersion()).__name__}
results["getPID"] = {"type": type(proxy.supervisor.getPID()).__name__}
results["getProcessInfo web"] = call(S + "getProcessInfo", "web")
results["getProcessInfo jobs:1"] = call(S + "getProcessInfo", "jobs:1")
results["getProcessInfo crashy"] = call(S + "getProcessInfo", "crashy")
results["getProcessInfo manual"] = call(S + "getProcessInfo", "manual")
results["getProcessInfo nosuch"] = call(S + "getProcessInfo", "nosuch")
results["getProcessInfo jobs"] = call(S + "getProcessInfo", "jobs")
all_info = proxy.supervisor.getAllProcessInfo()
results["getAllProcessInfo names"] = [(i["group"], i["name"], i["statename"]) for i in all_info]
results["getAllProcessInfo keys"] = sorted(all_info[0].keys())
config = proxy.supervisor.getAllConfigInfo()
results["getAllConfigInfo"] = [
    {k: c[k] for k in ("name", "group", "inuse", "autostart", "group_prio", "process_prio",
                       "startsecs", "startretries", "exitcodes", "stopwaitsecs", "stopsignal")}
    for c in config]
results["getAllConfigInfo keys"] = sorted(config[0].keys())
results["startProcess manual"] = call(S + "startProcess", "manual")
results["startProcess manual again"] = call(S + "startProcess", "manual")
results["startProcess nosuch"] = call(S + "startProcess", "nosuch")
results["startProcess web:nosuch"] = call(S + "startProcess", "web:nosuch")
time.sleep(0.5)
results["readProcessStdoutLog"] = call(S + "readProcessStdoutLog", "manual", 0, 0)
results["readProcessStderrLog"] = call(S + "readProcessStderrLog", "manual", -4, 0)
results["readProcessStdoutLog bad args"] = call(S + "readProcessStdoutLog", "manual", -1, 5)
results["readProcessLog"] = call(S + "readProcessLog", "manual", 0, 3)
results["tailProcessStdoutLog"] = call(S + "tailProcessStdoutLog", "manual", 0, 100)
results["tailProcessStdoutLog overflow"] = call(S + "tailProcessStdoutLog", "manual", 0, 2)
results["tailProcessStderrLog"] = call(S + "tailProcessStderrLog", "manual", 0, 100)
results["tailProcessLog nosuch"] = call(S + "tailProcessLog", "nosuch", 0, 100)
results["sendProcessStdin"] = call(S + "sendProcessStdin", "manual", "typed\n")
results["sendProcessStdin stopped"] = call(S + "sendProcessStdin", "crashy", "x")
results["signalProcess"] = call(S + "signalProcess", "manual", "CONT")
results["signalProcess 18"] = call(S + "signalProcess", "manual", "18")
results["signalProcess bad"] = call(S + "signalProcess", "manual", "NOPE")
results["signalProcess not running"] = call(S + "signalProcess", "crashy", "HUP")
results["signalProcessGroup"] = call(S + "signalProcessGroup", "jobs", "CONT")
results["signalAllProcesses"] = call(S + "signalAllProcesses", "CONT")
results["clearProcessLogs"] = call(S + "clearProcessLogs", "manual")
results["clearProcessLog nosuch"] = call(S + "clearProcessLog", "nosuch")
results["stopProcess manual"] = call(S + "stopProcess", "manual")
results["stopProcess manual again"] = call(S + "stopProcess", "manual")
results["stopProcessGroup jobs"] = call(S + "stopProcessGroup", "jobs")
results["startProcessGroup jobs"] = call(S + "startProcessGroup", "jobs")
results["startProcess jobs:*"] = call(S + "startProcess", "jobs:*")
results["stopProcess jobs:0 nowait"] = call(S + "stopProcess", "jobs:0", False)
settle("jobs:0", ("STOPPED",))
results["startProcess jobs:0 nowait"] = call(S + "startProcess", "jobs:0", False)
settle("jobs:0", ("RUNNING",))
results["stopAllProcesses"] = call(S + "stopAllProcesses")
results["startAllProcesses"] = call(S + "startAllProcesses")
results["clearAllProcessLogs"] = call(S + "clearAllProcessLogs")
results["readLog"] = {"type": type(proxy.supervisor.readLog(0, 10)).__name__}
results["readMainLog neg"] = {"type": type(proxy.supervisor.readMainLog(-10, 0)).__name__}
results["reloadConfig"] = call(S + "reloadConfig")
results["addProcessGroup web"] = call(S + "addProcessGroup", "web")
results["addProcessGroup nosuch"] = call(S + "addProcessGroup", "nosuch")
results["removeProcessGroup web running"] = call(S + "removeProcessGroup", "web")
results["removeProcessGroup nosuch"] = call(S + "removeProcessGroup", "nosuch")
results["stopProcess web"] = call(S + "stopProcess", "web")
results["removeProcessGroup web"] = call(S + "removeProcessGroup", "web")
results["addProcessGroup web again"] = call(S + "addProcessGroup", "web")
results["sendRemoteCommEvent"] = call(S + "sendRemoteCommEvent", "t", "d")
results["nosuch method"] = call(S + "nosuchMethod")
results["system.listMethods"] = call("system.listMethods")
results["system.methodHelp"] = call("system.methodHelp", "supervisor.getState")
results["system.methodHelp nosuch"] = call("system.methodHelp", "x.y")
results["system.methodSignature"] = call("system.methodSignature", "supervisor.startProcess")
results["system.multicall"] = call("system.multicall", [
    {"methodName": "supervisor.getAPIVersion", "params": []},
    {"methodName": "supervisor.getProcessInfo", "params": ["nosuch"]},
    {"methodName": "supervisor.getProcessInfo", "params": ["jobs:0"]},
    {"methodName": "system.multicall", "params": []},
    {"params": []},
])
results["wrong arg count"] = call(S + "getProcessInfo")
results["clearLog"] = call(S + "clearLog")
results["shutdown"] = call(S + "shutdown")
print(json.dumps(results, indent=1, sort_keys=True))
