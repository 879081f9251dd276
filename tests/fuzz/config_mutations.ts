/**
 * Mutations of valid configs for the config fuzzer: types swapped, keys
 * deleted or duplicated, deep nesting, huge numbers, alias bombs, binary
 * junk, 1 MB values, invalid UTF-8, truncation. Deterministic for a seed.
 *
 * @module
 */

/** A small deterministic PRNG (mulberry32): the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid configs the mutations start from. */
export const SEEDS: readonly string[] = [
  `taskmaster:
  loglevel: info
  max_connections: 32
programs:
  web:
    cmd: "/bin/sleep 1000"
    numprocs: 2
    autostart: false
    autorestart: unexpected
    exitcodes: [0, 2]
    starttime: 1
    startretries: 3
    stopsignal: TERM
    stoptime: 10
    stdout: none
    stderr: none
    env: {A: "1", B: two}
    umask: 022
  worker:
    cmd: ["/bin/sh", "-c", "exit 0"]
    priority: 10
    autostart: false
`,
  `x-defaults: &defaults
  autostart: false
  starttime: 0
  stoptime: 1
programs:
  a:
    <<: *defaults
    cmd: /bin/true
  b:
    <<: *defaults
    cmd: /bin/false
    autorestart: never
`,
  `programs:
  only: {cmd: /bin/echo hi, autostart: false}
`,
];

const KEY_VALUES: readonly string[] = [
  "numprocs",
  "starttime",
  "stoptime",
  "startretries",
  "autostart",
  "autorestart",
  "exitcodes",
  "stopsignal",
  "umask",
  "env",
  "cmd",
  "priority",
  "max_connections",
  "loglevel",
];

const REPLACEMENTS: readonly string[] = [
  "[1, 2, [3]]",
  "{a: {b: {c: 1}}}",
  "~",
  "null",
  "true",
  '"3"',
  "-1",
  "0",
  "1e308",
  "-1e400",
  ".nan",
  ".inf",
  "99999999999999999999999999",
  "0x7fffffffffffffff",
  "3000000",
  "!!binary aGVsbG8=",
  "!custom tag",
  "*nowhere",
  "&anchor",
  "'unterminated",
  '"\\u0000\\uffff"',
  "|\n      block\n      text",
];

type Mutation = (text: string, rnd: () => number) => string | Uint8Array;

const pick = <T>(items: readonly T[], rnd: () => number): T =>
  items[Math.floor(rnd() * items.length)]!;

const lines = (text: string) => text.split("\n");

const MUTATIONS: readonly [string, Mutation][] = [
  ["swap a value's type", (text, rnd) => {
    const key = pick(KEY_VALUES, rnd);
    return text.replace(new RegExp(`(${key}:)[^\\n]*`), `$1 ${pick(REPLACEMENTS, rnd)}`);
  }],
  ["delete a line", (text, rnd) => {
    const ls = lines(text);
    ls.splice(Math.floor(rnd() * ls.length), 1);
    return ls.join("\n");
  }],
  ["duplicate a line", (text, rnd) => {
    const ls = lines(text);
    const i = Math.floor(rnd() * ls.length);
    ls.splice(i, 0, ls[i]!);
    return ls.join("\n");
  }],
  ["deep nesting", (text, rnd) => {
    const depth = 1 + Math.floor(rnd() * 5000);
    const open = rnd() < 0.5 ? "[" : "{a: ";
    const close = open === "[" ? "]" : "}";
    return text.replace(/(env:)[^\n]*/, `$1 ${open.repeat(depth)}1${close.repeat(depth)}`) +
      (rnd() < 0.3 ? `\nx: ${"- ".repeat(depth)}x\n` : "");
  }],
  ["huge number", (text, rnd) =>
    text.replace(
      /(numprocs|starttime|stoptime|startretries|priority):[^\n]*/,
      `$1: ${pick(["1e308", "9".repeat(400), "-9007199254740993", "2147483648", ".inf"], rnd)}`,
    )],
  ["alias bomb", (text, rnd) => {
    const width = 2 + Math.floor(rnd() * 9);
    const levels = 3 + Math.floor(rnd() * 8);
    const bomb = [`b0: &b0 [${Array(width).fill("x").join(", ")}]`];
    for (let i = 1; i <= levels; i++) {
      bomb.push(`b${i}: &b${i} [${Array(width).fill(`*b${i - 1}`).join(", ")}]`);
    }
    return `${bomb.join("\n")}\n${text.replace(/(env:)[^\n]*/, `$1 {A: *b${levels}}`)}`;
  }],
  ["binary junk", (text, rnd) => {
    const bytes = new TextEncoder().encode(text);
    const at = Math.floor(rnd() * bytes.length);
    const junk = Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
    return new Uint8Array([...bytes.subarray(0, at), ...junk, ...bytes.subarray(at)]);
  }],
  ["1 MB value", (text, rnd) => {
    const big = pick(["a", "é", "-", "\\\\"], rnd).repeat(1 << 20);
    return text.replace(/(cmd:)[^\n]*/, `$1 "${big}"`);
  }],
  ["invalid UTF-8", (text, rnd) => {
    const bytes = new TextEncoder().encode(text);
    const at = Math.floor(rnd() * bytes.length);
    const bad = pick(
      [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]],
      rnd,
    );
    return new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)]);
  }],
  ["truncate", (text, rnd) => text.slice(0, Math.floor(rnd() * text.length))],
  ["flip bytes", (text, rnd) => {
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i < 1 + rnd() * 8; i++) {
      bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 128);
    }
    return bytes;
  }],
  [
    "tabs and odd indentation",
    (text, rnd) =>
      text.replace(/\n {4}/g, () => (rnd() < 0.2 ? "\n\t" : rnd() < 0.2 ? "\n     " : "\n    ")),
  ],
];

/** One fuzz case: the mutated file bytes and what was done to it. */
export interface FuzzCase {
  readonly seed: number;
  readonly bytes: Uint8Array;
  readonly steps: readonly string[];
}

/** The case for `seed`: a base config with one to three mutations applied. */
export function fuzzCase(seed: number): FuzzCase {
  const rnd = prng(seed);
  let current: string | Uint8Array = pick(SEEDS, rnd);
  const steps: string[] = [];
  const count = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < count; i++) {
    const [name, mutate] = pick(MUTATIONS, rnd);
    // Byte mutations end the text ones: later steps work on what decodes.
    const text = typeof current === "string" ? current : new TextDecoder().decode(current);
    current = mutate(text, rnd);
    steps.push(name);
  }
  const bytes = typeof current === "string" ? new TextEncoder().encode(current) : current;
  return { seed, bytes, steps };
}
