/** An HTTP answer's body parsed as JSON, or undefined when it is empty or not JSON (tests check the text too). */
export function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON: the caller has the text
  }
}
