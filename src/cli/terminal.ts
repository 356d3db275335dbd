/**
 * The columns of the terminal `stream` is, or undefined when it is not one or reports no width:
 * a pseudo-terminal nobody sized (`script` from a pipe, some CI runners) says 0 columns, and
 * fitting lines to that put one word on each line.
 */
export function terminalWidth(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
): number | undefined {
  const columns = stream.isTTY ? stream.columns : undefined;
  return columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : undefined;
}
