/*
 * taskmaster's line timestamps (`timestamps: true`), loaded by
 * src/output/native_stamp.ts. In JavaScript every line of a block costs three
 * calls (indexOf, copyWithin, set) at 115-150 ns for a 100-byte line, which
 * held a stamped capture to a third of a plain one (issue 17); here a line is
 * one memchr and two memcpy, a few ns each.
 *
 * Build: `make native` (native/build.sh), which regenerates
 * src/output/native_stamp_code.ts. Never edited by hand afterwards.
 */

#include <stdint.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/*
 * Copies the `len` bytes of `in` into `out`, with the `plen` bytes of
 * `prefix` before every line start: the first byte when `at_line_start`, and
 * each byte after a newline that is not the block's last. Returns the bytes
 * written; or, when they are more than `cap`, minus their number (what `out`
 * then holds is unspecified), so that the caller can grow `out` and call
 * again.
 */
EXPORT int32_t tm_stamp(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t cap,
                        const uint8_t *prefix, uint32_t plen, int32_t at_line_start) {
  const uint8_t *p = in;
  const uint8_t *end = in + len;
  uint64_t w = 0;
  int fits = 1;
  if (len == 0) return 0;
  if (at_line_start) {
    if (plen <= cap) memcpy(out, prefix, plen);
    else fits = 0;
    w = plen;
  }
  for (;;) {
    const uint8_t *newline = memchr(p, '\n', (size_t)(end - p));
    const uint8_t *next = newline == NULL ? end : newline + 1;
    uint64_t n = (uint64_t)(next - p);
    if (fits && w + n <= cap) memcpy(out + w, p, n);
    else fits = 0;
    w += n;
    p = next;
    if (p == end) break;
    if (fits && w + plen <= cap) memcpy(out + w, prefix, plen);
    else fits = 0;
    w += plen;
  }
  if (w > INT32_MAX) return INT32_MIN;
  return fits ? (int32_t)w : -(int32_t)w;
}
