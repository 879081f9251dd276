/**
 * `taskmaster import FILE`: the YAML on stdout, a one-line reason and exit 2
 * on bad input (never a stack trace).
 *
 * @module
 */

import { denoOutput } from "../util/text_output.ts";
import { importSupervisordConf } from "./import.ts";
import { ImportError } from "./located.ts";

/** Runs the import command; resolves with the exit code. */
export async function runImport(args: readonly string[]): Promise<number> {
  const files = args.filter((a) => a !== "-c" && a !== "--");
  if (files.length !== 1 || files[0]!.startsWith("-")) {
    denoOutput.err("usage: taskmaster import SUPERVISORD_CONF > taskmaster.yaml\n");
    return 2;
  }
  try {
    const yaml = await importSupervisordConf(files[0]!, {
      env: Deno.env.toObject(),
      hostname: Deno.hostname(),
    });
    denoOutput.out(yaml);
    return 0;
  } catch (error) {
    if (error instanceof ImportError) {
      denoOutput.err(`taskmaster import: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
