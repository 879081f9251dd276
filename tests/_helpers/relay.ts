import type { ByteSource } from "../../src/output/byte_source.ts";
import { startCopy } from "../../src/output/relay.ts";

/**
 * Runs the relay's copy loop over `source` with no file (the bytes are only
 * published, to `publish`), as a promise of its end: resolves at EOF or a
 * cancel, rejects with what failed.
 */
export function relayToNowhere(
  source: ByteSource,
  publish: (chunk: Uint8Array) => void,
): Promise<void> {
  return new Promise((resolve, reject) =>
    startCopy(
      source,
      { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
      { key: "test:stdout", path: null, file: null },
      { publish: (_key, chunk) => publish(chunk), sharesFile: () => false, isFollowed: () => true },
      { copyEnded: (end) => end === null ? resolve() : reject(end.error) },
    )
  );
}
