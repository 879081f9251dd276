import assert from "node:assert/strict";
import { IniError, type IniSection, parseIni } from "../../src/supervisord/ini.ts";
import { FormatError, keyValuePairs, pyFormat } from "../../src/supervisord/py_values.ts";

Deno.test("ini: continuation lines, inline comments, both delimiters, lowercased keys", () => {
  const into = new Map<string, IniSection>();
  parseIni(
    "; c\n[program:a]\nCommand = /bin/x\n   --y ; comment\nurl=http://h/#frag\ndir: /tmp # c\n",
    "f.conf",
    into,
  );
  const opts = into.get("program:a")!.options;
  assert.equal(opts.get("command")?.value, "/bin/x\n--y");
  assert.equal(opts.get("url")?.value, "http://h/#frag");
  assert.equal(opts.get("dir")?.value, "/tmp");
  assert.equal(opts.get("dir")?.line, 6);
});

Deno.test("ini: a section written twice is merged; text before any section is an error", () => {
  const into = new Map<string, IniSection>();
  parseIni("[a]\nx=1\n[b]\n[a]\ny=2\n", "f", into);
  assert.deepEqual([...into.get("a")!.options.keys()], ["x", "y"]);
  assert.throws(() => parseIni("x=1\n", "g.conf"), (e) => e instanceof IniError && e.line === 1);
});

Deno.test("pyFormat: named conversions with widths, %% and unknown names", () => {
  assert.equal(pyFormat("%(n)s_%(i)02d %%", { n: "web", i: 3 }), "web_03 %");
  assert.equal(pyFormat("%(i)d/%(i)3d/%(i)-3d|", { i: 7 }), "7/  7/7  |");
  assert.throws(() => pyFormat("%(x)s", {}), FormatError);
});

Deno.test("keyValuePairs: supervisor's environment= syntax", () => {
  assert.deepEqual(keyValuePairs('A=1,B="x, y",C=/usr/bin:/bin'), {
    A: "1",
    B: "x, y",
    C: "/usr/bin:/bin",
  });
  assert.deepEqual(keyValuePairs("K='a b'"), { K: "a b" });
  assert.throws(() => keyValuePairs("A=1,B"), FormatError);
});
