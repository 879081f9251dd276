/**
 * The program dependency graph, as pure functions over "program → the
 * programs it depends on": cycle detection for validation, and the orders
 * the supervisor needs (levels for shutdown, closures for `start`/`stop`).
 *
 * @module
 */

/** program → names it depends on (each listed once). */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Every cycle, each as the path that closes it (`["api", "migrate", "api"]`),
 * one per strongly connected component, starting from its first program in
 * the graph's order. Self-dependencies are left out (reported on their own);
 * edges to unknown programs are ignored.
 */
export function findCycles(graph: DependencyGraph): string[][] {
  const order = [...graph.keys()];
  const rank = new Map(order.map((name, i) => [name, i]));
  const edges = (name: string) => (graph.get(name) ?? []).filter((d) => d !== name && graph.has(d));
  // Tarjan's algorithm, iterative so a long chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of order) {
    if (index.has(root)) continue;
    const work: { name: string; next: number }[] = [{ name: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges(frame.name);
      if (frame.next < out.length) {
        const dep = out[frame.next++]!;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ name: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.name, Math.min(low.get(frame.name)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.name, Math.min(low.get(parent.name)!, low.get(frame.name)!));
      }
      if (low.get(frame.name) === index.get(frame.name)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.name);
        if (component.length > 1) components.push(component);
      }
    }
  }
  return components
    .map((component) => cyclePath(component, edges, rank))
    .sort((a, b) => rank.get(a[0]!)! - rank.get(b[0]!)!);
}

/** A shortest cycle through the component's first program (breadth-first inside it). */
function cyclePath(
  component: readonly string[],
  edges: (name: string) => string[],
  rank: ReadonlyMap<string, number>,
): string[] {
  const members = new Set(component);
  const start = [...component].sort((a, b) => rank.get(a)! - rank.get(b)!)[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const dep of edges(name)) {
      if (!members.has(dep)) continue;
      if (dep === start) {
        const path = [start];
        for (let at = name; at !== start; at = parent.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!parent.has(dep)) {
        parent.set(dep, name);
        queue.push(dep);
      }
    }
  }
  return [start, start];
}

/**
 * Each program's depth: 0 with no dependencies, else one more than its
 * deepest dependency. Startup goes up the levels, shutdown down them.
 * The graph must be acyclic (validation guarantees it).
 */
export function dependencyLevels(graph: DependencyGraph): Map<string, number> {
  const levels = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = levels.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle: cannot happen after validation
    seen.add(name);
    let level = 0;
    for (const dep of graph.get(name) ?? []) {
      if (graph.has(dep) && dep !== name) level = Math.max(level, visit(dep, seen) + 1);
    }
    levels.set(name, level);
    return level;
  };
  for (const name of graph.keys()) visit(name, new Set());
  return levels;
}

/** `names` and everything they depend on, directly or not. */
export function withDependencies(graph: DependencyGraph, names: Iterable<string>): Set<string> {
  return closure(names, (name) => graph.get(name) ?? []);
}

/** `names` and everything that depends on them, directly or not. */
export function withDependents(graph: DependencyGraph, names: Iterable<string>): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const [name, deps] of graph) {
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), name]);
  }
  return closure(names, (name) => dependents.get(name) ?? []);
}

function closure(start: Iterable<string>, next: (name: string) => readonly string[]): Set<string> {
  const found = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (found.has(name)) continue;
    found.add(name);
    queue.push(...next(name));
  }
  return found;
}

/**
 * The wave in which each program stops when dependents go first: 0 for a
 * program nothing depends on (independent programs included, so they stop
 * at once), else one after its last dependent. The graph must be acyclic.
 */
export function stopWaves(graph: DependencyGraph): Map<string, number> {
  const reversed = new Map<string, string[]>([...graph.keys()].map((name) => [name, []]));
  for (const [name, deps] of graph) {
    for (const dep of deps) {
      if (dep !== name && reversed.has(dep)) reversed.get(dep)!.push(name);
    }
  }
  return dependencyLevels(reversed);
}
