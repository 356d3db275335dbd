import { clip } from '../core/printable.js';

/**
 * One short line describing an event's data, chosen per event type (issue 5): what a developer
 * wants to see at a glance. Never throws: data from the wire may miss fields or have odd types.
 */
export function summarize(event: string | undefined, data: unknown): string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return '';
  const d = data as Record<string, unknown>;
  switch (event) {
    case 'trade.completed':
      // side, amount, track, price and total
      return `${text(d.type)} ${num(d.amount, 0)} × ${text(d.trackId)} @ ${num(d.price)} = ${num(d.totalValue)}`;
    case 'trade.failed':
      return `trade ${text(d.tradeId)} failed: ${text(d.reason)}`;
    case 'alert.triggered':
      // condition, target and current price
      return `${text(d.trackId)} ${text(d.condition)} ${num(d.targetPrice)} (now ${num(d.currentPrice)})`;
    case 'royalty.claimed':
      return `claimed ${num(d.amount)} from ${tracks(d.tracks)}`;
    case 'portfolio.updated':
      return `total ${num(d.totalValue)}, ${signed(d.change)} (${signed(d.changePercent)}%)`;
    case 'user.kyc.approved':
      return `KYC approved for ${text(d.userId)}${typeof d.verifiedAt === 'string' ? ` at ${d.verifiedAt}` : ''}`;
    case 'user.kyc.rejected':
      return `KYC rejected for ${text(d.userId)}: ${text(d.reason)}`;
    case 'test':
      return `test event: ${text(d.message)}`;
    default: {
      const keys = Object.keys(d);
      const shown = keys.slice(0, 6).map((k) => clip(k, 40));
      return keys.length === 0 ? '' : `fields: ${shown.join(', ')}${keys.length > 6 ? ', …' : ''}`;
    }
  }
}

/** A string field of the data in the summary: at most this many characters. */
const VALUE_CHARS = 60;

function text(value: unknown): string {
  if (typeof value === 'string') return clip(value, VALUE_CHARS);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '?';
}

function num(value: unknown, digits = 2): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '?';
}

function signed(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

function tracks(value: unknown): string {
  if (!Array.isArray(value)) return '? tracks';
  const ids = value.map((t) => text((t as { trackId?: unknown } | null)?.trackId));
  const shown = ids.slice(0, 3).join(', ') + (ids.length > 3 ? `, +${ids.length - 3} more` : '');
  return `${ids.length} track${ids.length === 1 ? '' : 's'}${ids.length > 0 ? ` (${shown})` : ''}`;
}
