/**
 * Running `taskmaster export` / `startup` for real (the entry point with the binary's
 * flags) on a config written to a temp dir.
 */
import assert from "node:assert/strict";
import { runTaskmaster } from "../_helpers/daemon.ts";

/** A config with one program of each shape the exporters map. */
export const FULL_CONFIG = `
taskmaster:
  logdir: logs
programs:
  web:
    cmd: "/bin/sh -c 'echo \\"hello world\\" 100%; exec sleep 1000'"
    numprocs: 2
    autorestart: always
    startretries: 3
    starttime: 2
    stopsignal: INT
    stoptime: 7
    env:
      GREETING: "hi there"
      PCT: "50%"
      DOLLAR: "$HOME"
    workingdir: /tmp
    umask: "027"
    user: daemon
    stdout: logs/web.log
    stderr: logs/web.log
    depends_on: {worker: healthy}
    liveness: {http: {url: "http://127.0.0.1:8080/live?deep=1"}, period: 5, failure_threshold: 2}
    max_memory: 512MB
  worker:
    cmd: [sleep, "1000"]
    exitcodes: [0, 2]
    autorestart: unexpected
    stdout: null
    user: "65534"
    readiness: {exec: "/bin/true --ready", initial_delay: 1, timeout: 2}
    x-kubernetes: {image: "registry.local/worker:2"}
  migrate:
    cmd: /bin/true
    autorestart: never
    startretries: 1
  manual:
    cmd: /bin/sleep 5
    autostart: false
`;

/** Writes `yaml` as `<dir>/app.yaml` (with its logs dir) and returns the path. */
export async function writeConfig(dir: string, yaml = FULL_CONFIG): Promise<string> {
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  const path = `${dir}/app.yaml`;
  await Deno.writeTextFile(path, yaml);
  return path;
}

/** `taskmaster ARGS…`, as a user runs it. */
export function taskmaster(args: string[], cwd?: string) {
  return runTaskmaster(args, "", cwd === undefined ? {} : { cwd });
}

/** Runs a command; its exit code and output. */
export async function run(cmd: string, args: string[], stdin?: string) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Fails with a clear message when a component the test needs is missing. */
export function requireTool(path: string, pkg: string): void {
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(`${path} is missing: install the Debian package "${pkg}" (.ci/run does)`);
  }
}

/** Fails showing the whole text when `part` is not in it. */
export function includes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
}
