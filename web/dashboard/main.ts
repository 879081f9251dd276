/// <reference lib="dom" />
/**
 * The live dashboard: one table of every instance fed by server-sent events,
 * actions per row and per selection, reload and shutdown, and a detail panel
 * with an instance's live output, config and events. Built with preact + htm
 * (no JSX step) and bundled into the binary by `deno task web`.
 *
 * @module
 */

import { render } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "htm/preact";
import * as api from "./api.ts";
import type { ProcessRow } from "./api.ts";

const HISTORY = 180;
const LOG_LINES = 500;
const OUTPUT_LINES = 2000;
const SIGNALS = ["HUP", "INT", "TERM", "QUIT", "USR1", "USR2", "KILL", "CONT", "STOP"];

interface History {
  cpu: number[];
  rss: number[];
}

interface Daemon {
  pid: number;
  version: string;
  file: string;
}

type SortKey = "name" | "state" | "why" | "pid" | "uptime" | "restarts" | "cpu" | "rss";

// ---- formatting -------------------------------------------------------------

function formatBytes(bytes: number): string {
  if (bytes <= 0) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatUptime(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const days = Math.floor(total / 86400);
  const clock = [Math.floor((total % 86400) / 3600), Math.floor((total % 3600) / 60), total % 60]
    .map((n, i) => (i === 0 ? String(n) : String(n).padStart(2, "0"))).join(":");
  return days > 0 ? `${days}d ${clock}` : clock;
}

function uptimeOf(p: ProcessRow, now: number): number | null {
  if (p.pid === null || p.started_at === null) return null;
  return now / 1000 - p.started_at;
}

// ---- small components -------------------------------------------------------

function Sparkline(props: { values: number[]; kind: string }) {
  const values = props.values.slice(-HISTORY);
  if (values.length < 2) return html`<svg class="spark" aria-hidden="true"></svg>`;
  const max = Math.max(...values, props.kind === "cpu" ? 1 : 1024);
  const w = 80;
  const hgt = 18;
  const points = values.map((v, i) =>
    `${((i / (values.length - 1)) * w).toFixed(1)},${(hgt - (v / max) * (hgt - 2) - 1).toFixed(1)}`
  ).join(" ");
  return html`
    <svg class="spark ${props.kind}" viewBox="0 0 ${w} ${hgt}" aria-hidden="true">
      <polyline points=${points} />
    </svg>
  `;
}

function StateBadge(props: { state: string }) {
  return html`<span class="state state-${props.state.toLowerCase()}">${props.state}</span>`;
}

// ---- the output / config / events panel -------------------------------------

function OutputView(props: { name: string; stream: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [paused, setPaused] = useState(false);
  const [search, setSearch] = useState("");
  const [error, setError] = useState<string | null>(null);
  const pausedRef = useRef(false);
  const buffered = useRef<string[]>([]);
  const box = useRef<HTMLPreElement>(null);
  pausedRef.current = paused;

  useEffect(() => {
    const abort = new AbortController();
    let partial = "";
    setLines([]);
    setError(null);
    buffered.current = [];
    const add = (text: string) => {
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      if (parts.length === 0) return;
      if (pausedRef.current) {
        buffered.current.push(...parts);
        return;
      }
      setLines((old) => old.concat(parts).slice(-OUTPUT_LINES));
    };
    api.tail(props.name, props.stream, 200)
      .then((text) => {
        const initial = text.split("\n");
        if (initial[initial.length - 1] === "") initial.pop();
        setLines((old) => initial.concat(old).slice(-OUTPUT_LINES));
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => {
        api.follow(props.name, props.stream, abort.signal, add).catch((e: Error) => {
          if (!abort.signal.aborted) setError(e.message);
        });
      });
    return () => abort.abort();
  }, [props.name, props.stream]);

  useEffect(() => {
    if (!paused && buffered.current.length > 0) {
      const more = buffered.current;
      buffered.current = [];
      setLines((old) => old.concat(more).slice(-OUTPUT_LINES));
    }
  }, [paused]);

  useEffect(() => {
    const el = box.current;
    if (el && !paused) el.scrollTop = el.scrollHeight;
  }, [lines, paused]);

  const shown = search === "" ? lines : lines.filter((l) => l.includes(search));
  const download = `/v1/processes/${encodeURIComponent(props.name)}/${props.stream}?lines=1000000`;
  return html`<div class="output">
    <div class="toolbar">
      <button type="button" onClick=${() => setPaused(!paused)} aria-pressed=${paused}>
        ${paused ? "Resume" : "Pause"}</button>
      <button type="button" onClick=${() => setLines([])}>Clear view</button>
      <input type="search" placeholder="Search output" aria-label="Search output" value=${search}
        onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} />
      <a class="button" href=${download} download=${`${props.name}.${props.stream}.log`}>Download</a>
      ${paused ? html`<span class="muted">paused (${buffered.current.length} new)</span>` : null}
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <pre class="log" ref=${box} tabindex="0" aria-label=${`${props.stream} of ${props.name}`}
      data-stream=${props.stream}>${
    shown.map((l) => html`<div class=${search !== "" ? "hit" : ""}>${l}</div>`)
  }</pre>
  </div>`;
}

function ConfigView(props: { name: string }) {
  const [config, setConfig] = useState<string>("loading…");
  useEffect(() => {
    api.programConfig(props.name)
      .then((c) => setConfig(JSON.stringify(c, null, 2)))
      .catch((e: Error) => setConfig(e.message));
  }, [props.name]);
  return html`<pre class="log config">${config}</pre>`;
}

function EventsView(props: { name: string; live: string[] }) {
  const [past, setPast] = useState<string[]>([]);
  useEffect(() => {
    api.logTail(2000).then((text) => setPast(text.split("\n"))).catch(() => setPast([]));
  }, [props.name]);
  const mentions = (l: string) => new RegExp(`[ '(]${escapeRegExp(props.name)}[ ':)]`).test(l);
  const lines = [...new Set([...past, ...props.live])].filter(mentions).slice(-200);
  return html`<pre class="log events">${
    lines.length === 0 ? "no events yet" : lines.map((l) => html`<div>${l}</div>`)
  }</pre>`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function Detail(props: { row: ProcessRow; log: string[]; onClose: () => void }) {
  const [tab, setTab] = useState("stdout");
  const tabs = ["stdout", "stderr", "config", "events"];
  return html`<section class="detail" aria-label=${`details of ${props.row.name}`}>
    <header>
      <h2>${props.row.name} <${StateBadge} state=${props.row.state} /></h2>
      <button type="button" class="close" onClick=${props.onClose} aria-label="Close details">✕</button>
    </header>
    <div role="tablist">
      ${
    tabs.map((t) =>
      html`
        <button type="button" role="tab" aria-selected=${tab === t} class=${tab === t
          ? "tab active"
          : "tab"}
          onClick=${() => setTab(t)}>${t}</button>
      `
    )
  }
    </div>
    ${
    tab === "stdout" || tab === "stderr"
      ? html`<${OutputView} key=${props.row.name + tab} name=${props.row.name} stream=${tab} />`
      : tab === "config"
      ? html`<${ConfigView} name=${props.row.name} />`
      : html`<${EventsView} name=${props.row.name} live=${props.log} />`
  }
  </section>`;
}

// ---- the page ---------------------------------------------------------------

function App() {
  const [rows, setRows] = useState<Map<string, ProcessRow>>(new Map());
  const [history, setHistory] = useState<Map<string, History>>(new Map());
  const [daemon, setDaemon] = useState<Daemon | null>(null);
  const [log, setLog] = useState<string[]>([]);
  const [connected, setConnected] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [filter, setFilter] = useState("");
  const [stateFilter, setStateFilter] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; down: boolean }>({ key: "name", down: false });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [down, setDown] = useState(false);
  const filterBox = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // The event log panel starts with the recent past, then follows live.
    api.logTail(100).then((text) => {
      const past = text.split("\n").filter((l) => l !== "");
      setLog((live) => past.filter((l) => !live.includes(l)).concat(live).slice(-LOG_LINES));
    }).catch(() => {});
    const source = new EventSource("/dashboard/feed");
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener("snapshot", (e) => {
      const data = JSON.parse((e as MessageEvent).data) as {
        daemon: Daemon;
        processes: ProcessRow[];
        history: Record<string, History>;
      };
      setDaemon(data.daemon);
      setRows(new Map(data.processes.map((p) => [p.name, p])));
      setHistory(new Map(Object.entries(data.history)));
    });
    source.addEventListener("process", (e) => {
      const p = JSON.parse((e as MessageEvent).data) as ProcessRow;
      setRows((old) => new Map(old).set(p.name, p));
    });
    source.addEventListener("tick", (e) => {
      const data = JSON.parse((e as MessageEvent).data) as { processes: ProcessRow[] };
      setRows((old) => {
        const next = new Map(old);
        for (const p of data.processes) next.set(p.name, p);
        setHistory((hist) => {
          const updated = new Map(hist);
          for (const p of next.values()) {
            const h = updated.get(p.name) ?? { cpu: [], rss: [] };
            updated.set(p.name, {
              cpu: h.cpu.concat(p.cpu_percent).slice(-HISTORY),
              rss: h.rss.concat(Math.round(p.rss_bytes / 1024)).slice(-HISTORY),
            });
          }
          return updated;
        });
        return next;
      });
    });
    source.addEventListener("log", (e) => {
      const line = JSON.parse((e as MessageEvent).data) as string;
      setLog((old) => old.concat(line).slice(-LOG_LINES));
    });
    const timer = setInterval(() => setNow(Date.now()), 1000);
    const keys = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
      if (e.key === "/" && !typing) {
        e.preventDefault();
        filterBox.current?.focus();
      } else if (e.key === "Escape") {
        setConfirming(false);
        setOpen(null);
      }
    };
    addEventListener("keydown", keys);
    return () => {
      source.close();
      clearInterval(timer);
      removeEventListener("keydown", keys);
    };
  }, []);

  const say = (text: string, error = false) => setMessage({ text, error });
  const report = (results: api.ActionResult[], verb: string) => {
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) say(`${verb}: ${results.map((r) => r.name).join(", ")}`);
    else say(failed.map((r) => `${r.name}: ${r.error?.message ?? "failed"}`).join("; "), true);
  };
  const run = async (what: string, job: () => Promise<api.ActionResult[]>) => {
    say(`${what}…`);
    try {
      report(await job(), what);
    } catch (e) {
      say((e as Error).message, true);
    }
  };
  const doAction = (action: api.Action, names: string[]) =>
    run(action, () => api.act(action, names));
  const doSignal = (signal: string, names: string[]) =>
    run(`signal ${signal}`, () => api.sendSignal(signal, names));
  const doReload = async () => {
    say("reloading…");
    try {
      const report = await api.reload();
      const parts = Object.entries(report).filter(([, v]) => v.length > 0 && true)
        .map(([k, v]) => `${k}: ${v.join(", ")}`);
      say(`reloaded. ${parts.join("; ") || "nothing changed"}`);
    } catch (e) {
      say(`reload failed, nothing was changed:\n${(e as Error).message}`, true);
    }
  };
  const doShutdown = async () => {
    setConfirming(false);
    say("shutting down…");
    try {
      await api.shutdown();
      setDown(true);
      say("taskmaster has shut down.");
    } catch (e) {
      say((e as Error).message, true);
    }
  };

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = [...rows.values()].filter((p) =>
      (f === "" || p.name.toLowerCase().includes(f) || p.state.toLowerCase() === f) &&
      (stateFilter === "" || p.state === stateFilter)
    );
    const value = (p: ProcessRow): number | string => {
      switch (sort.key) {
        case "name":
          return p.name;
        case "state":
          return p.state;
        case "why":
          return p.state === "RUNNING" ? "" : p.description;
        case "pid":
          return p.pid ?? -1;
        case "uptime":
          return p.started_at === null || p.pid === null ? -1 : -p.started_at;
        case "restarts":
          return p.restarts;
        case "cpu":
          return p.cpu_percent;
        case "rss":
          return p.rss_bytes;
      }
    };
    list.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order = typeof x === "string"
        ? x.localeCompare(y as string, undefined, { numeric: true })
        : x - (y as number);
      return sort.down ? -order : order;
    });
    return list;
  }, [rows, filter, stateFilter, sort]);

  const toggle = (name: string) =>
    setSelected((old) => {
      const next = new Set(old);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const allShownSelected = shown.length > 0 && shown.every((p) => selected.has(p.name));
  const selection = [...selected].filter((n) => rows.has(n));
  const header = (key: SortKey, label: string, cls = "") =>
    html`<th class=${cls} aria-sort=${
      sort.key === key ? (sort.down ? "descending" : "ascending") : "none"
    }>
      <button type="button" class="sort" onClick=${() =>
      setSort({ key, down: sort.key === key ? !sort.down : false })}>${label}${
      sort.key === key ? (sort.down ? " ▾" : " ▴") : ""
    }</button></th>`;
  const states = [...new Set([...rows.values()].map((p) => p.state))].sort();
  const openRow = open === null ? undefined : rows.get(open);

  return html`
    <header class="top">
      <h1>taskmaster</h1>
      <span class="muted">${daemon
        ? `v${daemon.version} · pid ${daemon.pid} · ${daemon.file}`
        : ""}</span>
      <span class=${connected && !down ? "live on" : "live off"} role="status">
        ${down ? "stopped" : connected ? "live" : "reconnecting…"}</span>
      <span class="grow"></span>
      <button type="button" onClick=${doReload} disabled=${down}>Reload config</button>
      <button type="button" class="danger" onClick=${() => setConfirming(true)} disabled=${down}>
        Shutdown</button>
    </header>
    ${message
      ? html`<div class=${message.error ? "message error" : "message"} role=${
        message.error ? "alert" : "status"
      } aria-live="polite"><pre>${message.text}</pre>
          <button type="button" class="close" aria-label="Dismiss" onClick=${() =>
        setMessage(null)}>✕</button></div>`
      : null}
    ${confirming
      ? html`
        <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
          <div class="box">
            <h2 id="confirm-title">Shut taskmaster down?</h2>
            <p>Every program is stopped, then the daemon exits.</p>
            <button type="button" class="danger" onClick=${doShutdown}>Yes, shut down</button>
            <button type="button" autofocus onClick=${() => setConfirming(false)}>Cancel</button>
          </div>
        </div>
      `
      : null}
    <main>
      <div class="toolbar">
        <input type="search" ref=${filterBox} placeholder="Filter by name or state  ( / )"
          aria-label="Filter by name or state" value=${filter}
          onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
        <select aria-label="Only this state" value=${stateFilter}
          onChange=${(e: Event) => setStateFilter((e.target as HTMLSelectElement).value)}>
          <option value="">all states</option>
          ${states.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
        <span class="muted">${shown.length} of ${rows.size} · ${selection.length} selected</span>
        <span class="grow"></span>
        <span class="group" role="group" aria-label="Actions on the selection">
          <button type="button" disabled=${selection.length === 0}
            onClick=${() => doAction("start", selection)}>Start selected</button>
          <button type="button" disabled=${selection.length === 0}
            onClick=${() => doAction("stop", selection)}>Stop selected</button>
          <button type="button" disabled=${selection.length === 0}
            onClick=${() => doAction("restart", selection)}>Restart selected</button>
          <select aria-label="Send a signal to the selection" disabled=${selection.length === 0}
            onChange=${(e: Event) => {
              const el = e.target as HTMLSelectElement;
              if (el.value) doSignal(el.value, selection);
              el.value = "";
            }}>
            <option value="">Signal selected…</option>
            ${SIGNALS.map((s) => html`<option value=${s}>SIG${s}</option>`)}
          </select>
        </span>
      </div>
      <div class="table-wrap">
        <table>
          <thead><tr>
            <th class="check"><input type="checkbox" aria-label="Select all shown"
              checked=${allShownSelected} onChange=${() =>
                setSelected(
                  allShownSelected ? new Set() : new Set(shown.map((p) => p.name)),
                )} /></th>
            ${header("name", "Name")} ${header("state", "State")}
            ${header("why", "Why", "why")}
            ${header("pid", "PID", "num pid")} ${header("uptime", "Uptime", "num uptime")}
            ${header("restarts", "Restarts", "num restarts")} ${header("cpu", "CPU %", "num")}
            ${header("rss", "Memory", "num")}
            <th>Actions</th>
          </tr></thead>
          <tbody>
            ${shown.map((p) => {
              const hist = history.get(p.name) ?? { cpu: [], rss: [] };
              const up = uptimeOf(p, now);
              return html`
                <tr key=${p.name} data-name=${p.name} class=${open === p.name ? "open" : ""}>
                  <td class="check"><input type="checkbox" aria-label=${`select ${p.name}`}
                                  checked=${selected.has(p.name)} onChange=${() =>
                                    toggle(p.name)} /></td>
                  <td
                    class="name"><button type="button" class="link" onClick=${() =>
                      setOpen(open === p.name ? null : p.name)} aria-expanded=${open === p.name}>${p
                      .name}</button></td>
                  <td>
                    <${StateBadge} state=${p.state} />
                  </td>
                  <td class="why">${p.state === "RUNNING" ? "" : p.description}</td>
                  <td class="num pid">${p.pid ?? "–"}</td>
                  <td class="num uptime">${up === null ? "–" : formatUptime(up)}</td>
                  <td class="num restarts">${p.restarts}</td>
                  <td class="num cpu"><span>${p.pid === null
                    ? "–"
                    : p.cpu_percent.toFixed(1)}</span>
                                  <${Sparkline} values=${hist.cpu} kind="cpu" /></td>
                  <td class="num rss"><span>${formatBytes(p.rss_bytes)}</span>
                                  <${Sparkline} values=${hist.rss} kind="rss" /></td>
                  <td class="actions">
                    <button type="button" aria-label=${`start ${p.name}`} title="start"
                      onClick=${() => doAction("start", [p.name])}>▶</button>
                    <button type="button" aria-label=${`stop ${p.name}`} title="stop"
                      onClick=${() => doAction("stop", [p.name])}>■</button>
                    <button type="button" aria-label=${`restart ${p.name}`} title="restart"
                      onClick=${() => doAction("restart", [p.name])}>↻</button>
                    <select aria-label=${`signal ${p.name}`} onChange=${(e: Event) => {
                      const el = e.target as HTMLSelectElement;
                      if (el.value) doSignal(el.value, [p.name]);
                      el.value = "";
                    }}>
                                    <option value="">sig…</option>
                                    ${SIGNALS.map((s) => html`<option value=${s}>${s}</option>`)}
                                  </select>
                  </td>
                </tr>
              `;
            })}
          </tbody>
        </table>
      </div>
      ${openRow
        ? html`<${Detail} row=${openRow} log=${log} onClose=${() => setOpen(null)} />`
        : null}
      <section class="events-panel" aria-label="Event log">
        <h2>Event log</h2>
        <pre class="log" tabindex="0" aria-live="off">${log.slice(-200).map((l) =>
          html`<div>${l}</div>`
        )}</pre>
      </section>
    </main>
  `;
}

render(html`<${App} />`, document.getElementById("app")!);
