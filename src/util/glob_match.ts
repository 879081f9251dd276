/**
 * Shell-style globs (fnmatch without flags): `*`, `?` and `[…]` with
 * `[!…]`. Alert rules match program and instance names with them; the
 * supervisord import matches each path segment of `[include] files=`.
 *
 * @module
 */

/** Whether `name` matches `glob` as a whole (fnmatch without flags). */
export function globMatch(glob: string, name: string): boolean {
  return toRegExp(glob).test(name);
}

const CACHE = new Map<string, RegExp>();

function toRegExp(glob: string): RegExp {
  let re = CACHE.get(glob);
  if (re !== undefined) return re;
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  re = new RegExp(`^${out}$`);
  CACHE.set(glob, re);
  return re;
}
