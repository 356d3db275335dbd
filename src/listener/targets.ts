/**
 * Forward targets of `listen --forward` (SPEC §5): `localhost:3000`, a URL, or `pattern=URL`
 * to route by event type (`trade.*=localhost:3000/trades`).
 */
export interface Target {
  /** Absolute http(s) URL the event is POSTed to, exactly (no path is appended). */
  url: string;
  /** Event-type patterns this target takes; empty means every event. */
  patterns: string[];
  /** The TARGET as the user wrote it. */
  spec: string;
}

export class TargetError extends Error {}

// A pattern is event-type characters and `*`; several may be joined with commas.
const ROUTE = /^([A-Za-z0-9_.*-]+(?:,[A-Za-z0-9_.*-]+)*)=(.*)$/;

/** Parses one TARGET; throws TargetError with a message that says what is wrong. */
export function parseTarget(spec: string): Target {
  const text = spec.trim();
  const route = ROUTE.exec(text);
  const patterns = route ? (route[1] as string).split(',') : [];
  if (route && (route[2] as string).trim() === '')
    throw new TargetError(`${JSON.stringify(spec)} routes ${route[1]} to nothing: write pattern=URL.`);
  const url = normalizeUrl(route ? (route[2] as string) : text, spec);
  return { url, patterns, spec };
}

/** `localhost:3000` → `http://localhost:3000/`; `:3000` and a bare `3000` mean localhost. */
export function normalizeUrl(value: string, spec = value): string {
  let text = value.trim();
  if (/^\d+$/.test(text)) text = `localhost:${text}`;
  if (text.startsWith(':')) text = `localhost${text}`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetError(
      `${JSON.stringify(spec)} is not a forward target: expected localhost:3000, a URL, or pattern=URL.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetError(`${JSON.stringify(spec)} is not an http(s) URL.`);
  }
  if (url.username || url.password)
    throw new TargetError(`${JSON.stringify(spec)} holds credentials; targets may not.`);
  return url.href;
}

/**
 * Glob match on an event type: `*` matches any run of characters, dots included (`user.*` takes
 * `user.kyc.approved`). Linear in the event's length (issue 14: a regular expression built from
 * the pattern backtracked for seconds on a long type): the text before the first `*` must start
 * the event, the text after the last must end it, and each piece between is taken at its first
 * place after the previous one — the leftmost choice never loses a match a later one would find.
 */
export function matchesPattern(pattern: string, event: string): boolean {
  const pieces = pattern.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return pattern === event;
  const last = pieces[pieces.length - 1] as string;
  if (event.length < first.length + last.length || !event.startsWith(first) || !event.endsWith(last)) return false;
  const end = event.length - last.length;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    if (piece === '') continue;
    const found = event.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** The targets an event goes to, in the order given; the first one answers the sender. */
export function routeFor(targets: readonly Target[], event: string | undefined): Target[] {
  return targets.filter(
    (t) => t.patterns.length === 0 || (event !== undefined && t.patterns.some((p) => matchesPattern(p, event))),
  );
}
