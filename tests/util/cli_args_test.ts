import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { ArgumentError, chooseWord, readOptions, tokenize } from "../../src/util/cli_args.ts";

const OPTIONS = {
  socket: { type: "string", short: "s" },
  quiet: { type: "boolean", short: "q" },
} as const;

Deno.test("readOptions() takes a value after a space or '=', and switches alone", () => {
  for (const args of [["-s", "/a"], ["--socket", "/a"], ["--socket=/a"], ["-s/a"]]) {
    assert.deepEqual(readOptions(args, OPTIONS).values, { socket: "/a" }, args.join(" "));
  }
  assert.deepEqual(readOptions(["-q"], OPTIONS).values, { quiet: true });
});

Deno.test("readOptions() rejects a missing or empty value, naming the option as typed", () => {
  for (
    const [args, message] of [
      [["--socket"], "--socket needs a value"],
      [["-s"], "-s needs a value"],
      [["--socket="], "--socket needs a value"],
      [["--quiet=yes"], "--quiet takes no value"],
      [["--bogus"], "unknown option: --bogus"],
      [["--bogus=1"], "unknown option: --bogus=1"],
      [["word"], "unknown option: word"],
    ] as const
  ) {
    assert.throws(() => readOptions(args, OPTIONS), new ArgumentError(message));
  }
});

Deno.test("readOptions() with untilFirstWord leaves a command's own flags to it", () => {
  const read = readOptions(["-s", "/a", "tail", "-f", "-s", "web"], OPTIONS, {
    untilFirstWord: true,
  });
  assert.deepEqual(read, { values: { socket: "/a" }, rest: ["tail", "-f", "-s", "web"] });
  assert.deepEqual(readOptions(["-x", "y"], OPTIONS, { untilFirstWord: true }).rest, ["-x", "y"]);
  assert.deepEqual(readOptions(["--", "-q"], OPTIONS, { untilFirstWord: true }).rest, ["-q"]);
  assert.throws(
    () => readOptions(["--socket"], OPTIONS, { untilFirstWord: true }),
    /--socket needs a value/,
  );
});

Deno.test("chooseWord() takes one word among the choices, or says what is wrong", () => {
  const systems = ["systemd", "openrc"] as const;
  assert.deepEqual(chooseWord(["openrc"], "init system", systems), { word: "openrc" });
  assert.deepEqual(chooseWord([], "init system", systems), {
    mistake: "which init system? systemd, openrc",
  });
  assert.deepEqual(chooseWord(["upstart"], "init system", systems), {
    mistake: 'unknown init system "upstart": use systemd, openrc',
  });
  assert.deepEqual(chooseWord(["systemd", "x"], "init system", systems), {
    mistake: 'unexpected argument "x"',
  });
});

Deno.test("tokenize() reads every combination of tricky arguments exactly as node:util's parseArgs does", () => {
  const options = {
    socket: { type: "string", short: "s" },
    quiet: { type: "boolean", short: "q" },
    file: { type: "string", short: "f" },
  } as const;
  const pieces = [
    "-s",
    "-q",
    "-x",
    "-sq",
    "-qs",
    "-qsx",
    "-qx",
    "-q-",
    "-ss",
    "--socket",
    "--socket=",
    "--socket=a=b",
    "--quiet=1",
    "--bogus",
    "--=x",
    "--s",
    "--",
    "-",
    "word",
    "-5",
  ];
  let compared = 0;
  const check = (args: string[]) => {
    const { tokens } = parseArgs({
      args,
      options,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    assert.deepEqual(tokenize(args, options), tokens, JSON.stringify(args));
    compared++;
  };
  check([]);
  for (const a of pieces) {
    check([a]);
    for (const b of pieces) {
      check([a, b]);
      for (const c of pieces) check([a, b, c]);
    }
  }
  const n = pieces.length;
  assert.equal(compared, 1 + n + n ** 2 + n ** 3, "every combination was compared");
});
