import assert from "node:assert/strict";
import { openSharedObject } from "../../src/process/shared_object.ts";
import * as spawnCode from "../../src/process/native_spawn_code.ts";
import * as stampCode from "../../src/output/native_stamp_code.ts";
import { STAMP_SYMBOLS } from "../../src/output/native_stamp.ts";
import { SPAWN_SYMBOLS } from "../../src/process/native_spawn.ts";

Deno.test("both native objects open in one process, in either order (dlopen never takes one memfd's path for the other)", () => {
  assert.equal(Deno.build.arch, "x86_64", "the machines taskmaster is tested on");
  const opened: { close(): void }[] = [];
  try {
    for (const order of [["stamp", "spawn"], ["spawn", "stamp"]]) {
      for (const name of order) {
        const library = name === "stamp"
          ? openSharedObject(`test-${name}`, stampCode.SHARED_OBJECT_X86_64, STAMP_SYMBOLS)
          : openSharedObject(`test-${name}`, spawnCode.SHARED_OBJECT_X86_64, SPAWN_SYMBOLS);
        assert.notEqual(library, null, `${order.join(" then ")}: ${name} did not open`);
        opened.push(library!);
      }
    }
  } finally {
    for (const library of opened) library.close();
  }
});
