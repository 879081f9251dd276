"""Loads a supervisord.conf with supervisor's own ServerOptions and prints
every process config as JSON: the reference the import round trip compares
taskmaster's loaded config with."""
import json, shlex, signal, sys
from supervisor.events import getEventNameByType
from supervisor.options import ServerOptions
from supervisor.datatypes import Automatic, RestartUnconditionally, RestartWhenExitUnexpected

options = ServerOptions()
options.configfile = sys.argv[1]
options.process_config(do_usage=False)

def logfile(value):
    if value is Automatic:
        return "auto"
    return value

def autorestart(value):
    if value is RestartUnconditionally:
        return "always"
    if value is RestartWhenExitUnexpected:
        return "unexpected"
    return "never"

out = {"logfile": options.logfile, "pidfile": options.pidfile,
       "loglevel": options.loglevel, "childlogdir": options.childlogdir,
       "logfile_maxbytes": options.logfile_maxbytes,
       "logfile_backups": options.logfile_backups,
       "socket": next((s["file"] for s in options.server_configs if "file" in s), None) if hasattr(options, "server_configs") else None,
       "groups": []}
for group in options.process_group_configs:
    procs = []
    for p in group.process_configs:
        procs.append({
            "name": p.name,
            "argv": shlex.split(p.command),
            "priority": p.priority,
            "autostart": p.autostart,
            "autorestart": autorestart(p.autorestart),
            "startsecs": p.startsecs,
            "startretries": p.startretries,
            "stopsignal": signal.Signals(p.stopsignal).name,
            "stopwaitsecs": p.stopwaitsecs,
            "exitcodes": list(p.exitcodes),
            "environment": p.environment or {},
            "directory": p.directory,
            "umask": p.umask,
            "user": p.uid,
            "redirect_stderr": p.redirect_stderr,
            "stdout_logfile": logfile(p.stdout_logfile),
            "stderr_logfile": logfile(p.stderr_logfile),
            "stdout_logfile_maxbytes": p.stdout_logfile_maxbytes,
            "stdout_logfile_backups": p.stdout_logfile_backups,
            "stderr_logfile_maxbytes": p.stderr_logfile_maxbytes,
            "stderr_logfile_backups": p.stderr_logfile_backups,
            "stdout_events_enabled": p.stdout_events_enabled,
            "stderr_events_enabled": p.stderr_events_enabled,
            "events": sorted(getEventNameByType(e) for e in getattr(group, "pool_events", [])),
            "buffer_size": getattr(group, "buffer_size", None),
        })
    out["groups"].append({"name": group.name, "kind": type(group).__name__, "processes": procs})
print(json.dumps(out))
