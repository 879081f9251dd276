/*
 * taskmaster's copy of a flooding output pipe into its log file, loaded by
 * src/output/native_copy.ts and run on one of Deno's worker threads (a
 * nonblocking FFI call) while the event loop goes on answering requests.
 *
 * Why native: each read of a pipe made from JavaScript is a round trip
 * through the FFI and the event loop (50-65 us of CPU on a paravirtualised
 * guest), and a flood is tens of thousands of them; a capture stayed at
 * 0.65-0.86x a shell redirect (issue 17). Here a read and its write are two
 * system calls, and a drained pipe is left 250 us to fill before the next
 * read, so reads come in large blocks as a redirect's writes do.
 *
 * Build: `make native` (native/build.sh), which regenerates
 * src/output/native_copy_code.ts. Never edited by hand afterwards.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* How a copy ended: out[1]. */
enum {
  END_EOF = 0,    /* the pipe's writers are all gone */
  END_QUIET = 1,  /* the pipe stayed empty for QUIET_POLLS pauses */
  END_BUDGET = 2, /* max_ms reached, or a read would pass max_bytes */
  END_STOP = 3,   /* *stop became non-zero */
  END_OPEN = 4,   /* the log file is not the one expected (or cannot be opened) */
  END_WRITE = 5,  /* a write failed */
  END_READ = 6,   /* a read failed with something other than EAGAIN or EINTR */
};

/* How long a drained pipe is left to fill before the next read. */
#define PAUSE_NS 250000L
/* Empty reads in a row (pauses between them) after which the flood is over. */
#define QUIET_POLLS 8

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void pause_briefly(void) {
  struct timespec t = {0, PAUSE_NS};
  nanosleep(&t, NULL);
}

/*
 * Copies the non-blocking pipe `in_fd` into the regular file at `path`,
 * opened here for appending and only if its inode is still `ino`, through
 * `buf` (`cap` bytes), until one of the ends above, for about `max_ms` ms.
 * `*stop` is read before every read. At most `max_bytes` are written: of
 * a read that would pass them, only the whole lines that fit are (the
 * caller rotates the file before the rest).
 *
 * out[0]: bytes written; out[1]: the end; out[2]: bytes of the last read,
 * at the start of `buf`; out[3]: bytes written after the last newline
 * written, -1 when none was; out[4]: errno of a failed open, read or
 * write; out[5]: how many of the last read's bytes were written (fewer
 * than out[2] after END_WRITE or a read cut at max_bytes: the rest are
 * the caller's to write).
 *
 * The file is opened non-blocking: a FIFO put in its place is refused
 * (ENXIO without a reader, else not S_ISREG) instead of blocking here.
 */
EXPORT void tm_copy_flood(int32_t in_fd, const char *path, uint64_t ino, uint8_t *buf,
                          uint32_t cap, uint64_t max_bytes, uint32_t max_ms,
                          const volatile int32_t *stop, int64_t *out) {
  int64_t written = 0, last = 0, tail = -1;
  int end = END_BUDGET, empties = 0, err = 0;
  int64_t last_written = 0;
  struct stat st;
  int64_t deadline = now_ms() + max_ms;
  int out_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (out_fd < 0 || fstat(out_fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      (uint64_t)st.st_ino != ino) {
    err = out_fd < 0 ? errno : 0;
    if (out_fd >= 0) close(out_fd);
    end = END_OPEN;
    goto done;
  }
  for (;;) {
    if (*stop) {
      end = END_STOP;
      break;
    }
    ssize_t n = read(in_fd, buf, cap);
    if (n == 0) {
      end = END_EOF;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        err = errno;
        end = END_READ;
        break;
      }
      if (++empties >= QUIET_POLLS) {
        end = END_QUIET;
        break;
      }
      pause_briefly();
      continue;
    }
    empties = 0;
    last = n;
    ssize_t want = n;
    int cut = 0;
    if ((uint64_t)n > max_bytes - (uint64_t)written) {
      size_t room = (size_t)(max_bytes - (uint64_t)written);
      const uint8_t *end_of_fit = room > 0 ? memrchr(buf, '\n', room) : NULL;
      want = end_of_fit == NULL ? 0 : end_of_fit - buf + 1;
      cut = 1;
    }
    ssize_t done_bytes = 0;
    while (done_bytes < want) {
      ssize_t w = write(out_fd, buf + done_bytes, (size_t)(want - done_bytes));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done_bytes += w;
    }
    const uint8_t *newline = memrchr(buf, '\n', (size_t)done_bytes);
    if (newline != NULL) tail = done_bytes - (newline - buf) - 1;
    else if (tail >= 0) tail += done_bytes;
    written += done_bytes;
    last_written = done_bytes;
    if (done_bytes < want) {
      err = errno;
      end = END_WRITE;
      break;
    }
    if (cut) {
      end = END_BUDGET;
      break;
    }
    if (now_ms() >= deadline) break;
    if ((uint64_t)n < cap) pause_briefly();
  }
  close(out_fd);
done:
  out[0] = written;
  out[1] = end;
  out[2] = last;
  out[3] = tail;
  out[4] = err;
  out[5] = last_written;
}
