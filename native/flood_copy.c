/*
 * taskmaster's copy of a flooding output pipe into its log file, loaded by
 * src/output/native_copy.ts and run on one of Deno's worker threads (a
 * nonblocking FFI call) while the event loop goes on answering requests.
 *
 * Why native: each read of a pipe made from JavaScript is a round trip
 * through the FFI and the event loop (50-65 us of CPU on a paravirtualised
 * guest), and a flood is tens of thousands of them; a capture stayed at
 * 0.65-0.86x a shell redirect (issue 17). Here a block is one splice(2)
 * from the pipe into the file (copied once, in the kernel: ~9% less CPU
 * than a read and a write), and a drained pipe is left 250 us to fill
 * before the next one, so blocks are large as a redirect's writes are.
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
#include <sys/types.h>
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
/* How far back from the end the open line is looked for first. */
#define FIRST_LOOK 4096
/* Then this far: the longest open line rotation moves whole (rotating_file.ts OPEN_LINE_LIMIT). */
#define OPEN_LINE_LOOK 65536
/* A page: the most of a truncated file's zeros that can share a page with bytes written after. */
#define HOLE_SLACK 4096

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
 * What a copy knows of the bytes after the last newline it wrote: bytes
 * moved by splice(2) never pass through the buffer, so their open line is
 * found afterwards in the file itself (resolve_tail).
 */
struct tail_state {
  int64_t tail;    /* bytes written after the last newline written; -1: none was */
  int64_t unknown; /* bytes spliced since `tail` was last right */
};

/*
 * Makes `t->tail` right for the file ending at `end`, reading the spliced
 * bytes back through `buf` (the page cache's copy, not the disk) from the
 * end until a newline: a short look first, lines being short, then up to
 * the longest open line the caller keeps. Returns the length of the open
 * line when it was found within those looks, left at the start of `buf`;
 * else 0 (further back, only its length is found).
 */
static int64_t resolve_tail(int fd, int64_t end, uint8_t *buf, uint32_t cap, struct tail_state *t) {
  const int64_t looks[2] = {FIRST_LOOK, OPEN_LINE_LOOK};
  int64_t scanned = 0;
  for (int i = 0; i < 2 && scanned < t->unknown && scanned < (int64_t)cap; i++) {
    int64_t chunk = t->unknown < looks[i] ? t->unknown : looks[i];
    if (chunk > (int64_t)cap) chunk = cap;
    if (chunk <= scanned) continue;
    if (pread(fd, buf, (size_t)chunk, end - chunk) != chunk) goto unknown;
    const uint8_t *newline = memrchr(buf, '\n', (size_t)chunk);
    if (newline != NULL) {
      int64_t after = chunk - (newline - buf) - 1;
      t->tail = after;
      t->unknown = 0;
      memmove(buf, newline + 1, (size_t)after);
      return after;
    }
    scanned = chunk;
  }
  while (scanned < t->unknown) {
    int64_t chunk = t->unknown - scanned;
    if (chunk > (int64_t)cap) chunk = cap;
    if (pread(fd, buf, (size_t)chunk, end - scanned - chunk) != chunk) goto unknown;
    const uint8_t *newline = memrchr(buf, '\n', (size_t)chunk);
    if (newline != NULL) {
      t->tail = scanned + chunk - (newline - buf) - 1;
      t->unknown = 0;
      return 0;
    }
    scanned += chunk;
  }
unknown:
  /* No newline among them (or the file could not be read back: counted as none). */
  if (t->tail >= 0) t->tail += t->unknown;
  t->unknown = 0;
  return 0;
}

/*
 * Whether the file was emptied (logrotate's copytruncate) between the
 * fstat(2) that gave `at` and the write of `n` bytes there: everything
 * before them is then a hole (SEEK_DATA finds nothing before the page they
 * start in) and zeros. If so they are moved to the start and the file cut
 * after them, as an append after the truncation would have left it. A
 * file emptied to less than a page before, or truncated to a non-zero
 * size, is left as written. Exported for tests.
 */
EXPORT void tm_undo_hole(int32_t fd, int64_t at, int64_t n) {
  if (at < HOLE_SLACK) return;
  off_t data = lseek(fd, 0, SEEK_DATA);
  if (data <= 0 || data > at || at - data > HOLE_SLACK) return;
  uint8_t chunk[HOLE_SLACK];
  size_t gap = (size_t)(at - data);
  if (gap > 0) {
    if (pread(fd, chunk, gap, data) != (ssize_t)gap) return;
    for (size_t i = 0; i < gap; i++)
      if (chunk[i] != 0) return;
  }
  /* Forward, a chunk at a time: each read is ahead of every write before it. */
  for (int64_t moved = 0; moved < n;) {
    size_t want = n - moved > HOLE_SLACK ? HOLE_SLACK : (size_t)(n - moved);
    if (pread(fd, chunk, want, at + moved) != (ssize_t)want) return;
    if (pwrite(fd, chunk, want, moved) != (ssize_t)want) return;
    moved += want;
  }
  (void)!ftruncate(fd, n);
}

/*
 * Copies the non-blocking pipe `in_fd` into the regular file at `path`,
 * opened here for writing at its end and only if its inode is still `ino`,
 * until one of the ends above, for about `max_ms` ms. `*stop` is read
 * before every read. At most `max_bytes` are written: of a read that would
 * pass them, only the whole lines that fit are (the caller rotates the file
 * before the rest).
 *
 * Far from `max_bytes` the pipe is spliced into the file (one copy, in the
 * kernel, instead of a read into `buf` and a write out of it); within
 * `cap` of it, and where the file system cannot splice, bytes are read
 * into `buf` (`cap` bytes) and written, so that a cut falls after a
 * newline. Each write goes to the file's end as fstat(2) finds it just
 * before (splice(2) refuses O_APPEND files): a file truncated meanwhile
 * (logrotate's copytruncate) is written from its new end, as an append
 * would.
 *
 * out[0]: bytes written; out[1]: the end; out[2]: bytes of the last read,
 * at the start of `buf`; out[3]: bytes written after the last newline
 * written, -1 when none was; out[4]: errno of a failed open, read or
 * write; out[5]: how many of the last read's bytes were written (fewer
 * than out[2] after END_WRITE or a read cut at max_bytes: the rest are
 * the caller's to write). When the last bytes were spliced, out[2] and
 * out[5] are instead the open line's length, read back from the file to
 * the start of `buf` when it is at most OPEN_LINE_LOOK bytes (else 0):
 * what rotation moves whole to the next file. A failed splice leaves its bytes in the pipe.
 *
 * The file is opened non-blocking: a FIFO put in its place is refused
 * (ENXIO without a reader, else not S_ISREG) instead of blocking here.
 */
EXPORT void tm_copy_flood(int32_t in_fd, const char *path, uint64_t ino, uint8_t *buf,
                          uint32_t cap, uint64_t max_bytes, uint32_t max_ms,
                          const volatile int32_t *stop, int64_t *out) {
  int64_t written = 0, last = 0, last_written = 0;
  struct tail_state t = {-1, 0};
  int end = END_BUDGET, empties = 0, err = 0, last_spliced = 0;
  int splice_refused = 0; /* the file system has no splice_write, or the file is write-only */
  struct stat st;
  int64_t deadline = now_ms() + max_ms;
  /* Read too, to find spliced bytes' open line; a file we may only write to is never spliced. */
  int out_fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (out_fd < 0 && errno == EACCES) {
    splice_refused = 1;
    out_fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  }
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
    if (fstat(out_fd, &st) != 0) {
      err = errno;
      end = END_WRITE;
      break;
    }
    loff_t at = st.st_size;
    int splices = !splice_refused && max_bytes - (uint64_t)written >= cap;
    ssize_t n;
    if (splices) {
      loff_t offset = at; /* splice(2) moves it on past the bytes */
      n = splice(in_fd, NULL, out_fd, &offset, cap, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0 && errno == EINVAL) {
        splice_refused = 1;
        continue;
      }
    } else {
      if (t.unknown > 0) {
        /* `buf` now holds the open line: the last "read" should this one bring nothing. */
        int64_t open_line = resolve_tail(out_fd, at, buf, cap, &t);
        if (last_spliced) last = last_written = open_line;
      }
      n = read(in_fd, buf, cap);
    }
    if (n == 0) {
      end = END_EOF;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        err = errno;
        /* A splice that fails reads nothing: its bytes stay for the caller. */
        end = splices && errno != EBADF ? END_WRITE : END_READ;
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
    if (splices) {
      tm_undo_hole(out_fd, at, n);
      written += n;
      t.unknown += n;
      last = n;
      last_spliced = 1;
    } else {
      last_spliced = 0;
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
      int write_errno = 0;
      while (done_bytes < want) {
        ssize_t w = pwrite(out_fd, buf + done_bytes, (size_t)(want - done_bytes), at + done_bytes);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          write_errno = w < 0 ? errno : EIO;
          break;
        }
        done_bytes += w;
      }
      if (done_bytes > 0) tm_undo_hole(out_fd, at, done_bytes);
      const uint8_t *newline = memrchr(buf, '\n', (size_t)done_bytes);
      if (newline != NULL) t.tail = done_bytes - (newline - buf) - 1;
      else if (t.tail >= 0) t.tail += done_bytes;
      written += done_bytes;
      last_written = done_bytes;
      if (done_bytes < want) {
        err = write_errno;
        end = END_WRITE;
        break;
      }
      if (cut) {
        end = END_BUDGET;
        break;
      }
    }
    if (now_ms() >= deadline) break;
    if ((uint64_t)n < cap) pause_briefly();
  }
  if (t.unknown > 0) {
    int64_t open_line = fstat(out_fd, &st) == 0 ? resolve_tail(out_fd, st.st_size, buf, cap, &t) : 0;
    if (last_spliced) last = last_written = open_line;
  }
  close(out_fd);
done:
  out[0] = written;
  out[1] = end;
  out[2] = last;
  out[3] = t.tail;
  out[4] = err;
  out[5] = last_written;
}
