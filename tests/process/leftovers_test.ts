/**
 * What an instance's runs leave behind: process groups that outlived their
 * leader, as noted at each exit outside a stop.
 */
import assert from "node:assert/strict";
import { Leftovers } from "../../src/process/leftovers.ts";
import { FakeOs } from "../_helpers/fake_process.ts";

Deno.test("Leftovers: a group is noted as outliving its leader only while it does; a later exit of the same pid with no group forgets it", () => {
  const os = new FakeOs();
  const leftovers = new Leftovers(null, os);
  os.groups.add(4242);
  leftovers.noteExit(4242);
  assert.equal(leftovers.outlived(4242), true);
  // The group ends; much later a new child of this instance gets pid 4242 and exits alone.
  os.groups.delete(4242);
  leftovers.noteExit(4242);
  assert.equal(leftovers.outlived(4242), false);
  assert.deepEqual(leftovers.groups({ signal: "SIGTERM", stoptimeMs: 1000 }), []);
});
