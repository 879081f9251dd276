import assert from "node:assert/strict";
import { SplitError, splitWords } from "../../src/shell/split_words.ts";

Deno.test("splitWords() splits like shlex.split", () => {
  const cases: Array<[string, string[]]> = [
    ["", []],
    ["   ", []],
    ["status", ["status"]],
    ["  start  web   api ", ["start", "web", "api"]],
    ["signal 'HUP' \"web:0\"", ["signal", "HUP", "web:0"]],
    ["a 'b c' d", ["a", "b c", "d"]],
    ['a "b \\"c\\" d"', ["a", 'b "c" d']],
    ["a 'it\\s'", ["a", "it\\s"]],
    ["a b\\ c", ["a", "b c"]],
    ["a '' b", ["a", "", "b"]],
    ["pre'fix'post", ["prefixpost"]],
    ["tab\tsep", ["tab", "sep"]],
  ];
  for (const [line, words] of cases) assert.deepEqual(splitWords(line), words, line);
});

Deno.test("splitWords() rejects unclosed quotes and a trailing backslash", () => {
  assert.throws(() => splitWords("echo 'abc"), SplitError);
  assert.throws(() => splitWords('echo "abc'), /No closing quotation/);
  assert.throws(() => splitWords("echo \\"), /No escaped character/);
});
