/**
 * `deno task soak [--minutes N] [--programs P] [--clients C]`: the long soak.
 * Prints the RSS and fd series and the verdict (flat within 5%, no zombie,
 * no orphan); exits 1 when a bound is broken.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { soak } from "./soak.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    programs: { type: "string", default: "200" },
    clients: { type: "string", default: "4" },
  },
});
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
const seconds = Number(values.minutes) * 60;
out(
  `soak: ${values.programs} programs (half crash-looping), ${values.clients} clients, ${seconds} s`,
);
const r = await soak({
  programs: Number(values.programs),
  seconds,
  clients: Number(values.clients),
  warmupSeconds: Math.min(120, Math.floor(seconds / 4)),
});
out(`RSS MB: ${r.rssMb.join(" ")}`);
out(`fds:    ${r.fds.join(" ")}`);
out(
  `crash cycles ${r.crashCycles}, requests ${r.requests} (slowest ${r.slowestRequestMs} ms: ` +
    `${Object.entries(r.slowestByKindMs).map(([k, ms]) => `${k} ${ms}`).join(", ")}), ` +
    `RSS growth ${(r.rssGrowth * 100).toFixed(1)}%, fd growth ${(r.fdGrowth * 100).toFixed(1)}%, ` +
    `max zombies ${r.maxZombies}, orphans ${r.orphans.length}, exit ${r.exitCode}`,
);
const ok = r.rssGrowth <= 0.05 && r.fdGrowth <= 0.05 && r.maxZombies === 0 &&
  r.orphans.length === 0 && r.exitCode === 0;
out(ok ? "soak: PASS" : "soak: FAIL");
Deno.exit(ok ? 0 : 1);
