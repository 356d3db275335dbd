import { EVENT_CATALOG, EVENT_TYPES, type DeliverableEvent, type FieldSpec } from '../../src/core/events.js';
import { sign } from '../../src/core/signature.js';
import { seededRandom } from '../helpers/faulty-receiver.js';
import { httpBytes, type RawRequest } from './raw-http.js';

/**
 * Generated malformed requests (issue 8): bad JSON, wrong types, huge fields, odd unicode, deep
 * nesting, bad or duplicated headers, bodies that stop halfway, odd routes. Every one is wrong
 * by construction, so anything but a 4xx (or, for a cut body, a closed connection) is a finding.
 */
export const KINDS = ['bad-json', 'wrong-type', 'huge', 'unicode', 'deep', 'headers', 'halfway', 'route'] as const;
export type Kind = (typeof KINDS)[number];

export interface HostileCase extends RawRequest {
  kind: Kind;
  /** What was done, for the failure message. */
  name: string;
}

const MIB = 1024 * 1024;

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

/** Deep nesting: `[[[…]]]` or `{"a":{"a":…}}`. */
function deep(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Characters that look like, or hide in, an event type or a URL. */
const ODD = [
  '\u200b',
  '\u0000',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\u0430',
  '\uff0e',
  '\u{1f4a5}',
  '\u0301',
  '\u2028',
  '\u00a0',
  '\u180e',
];
const oddType = (random: Random): string => {
  const base = pick(random, EVENT_TYPES) as string;
  const at = between(random, 0, base.length);
  return `${base.slice(0, at)}${pick(random, ODD)}${base.slice(at)}`;
};
/** Byte sequences that are not UTF-8: a lone continuation, an overlong '/', an encoded surrogate, 0xff. */
const BAD_UTF8 = [
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
];

function wrongFor(random: Random, spec: FieldSpec): unknown {
  const kind = spec.kind;
  if (kind === 'string') return pick(random, [42, true, [], {}, null, ['x'], { s: 'x' }]);
  if (kind === 'number') return pick(random, ['1', true, [], {}, null, [1], '1e400', 'NaN']);
  if (kind === 'boolean') return pick(random, ['true', 1, 0, null, [], {}]);
  if (kind === 'timestamp') return pick(random, ['yesterday', 12, '2025-13-45T99:99:99Z', '', [], {}]);
  if ('enum' in kind) return pick(random, [kind.enum[0]?.toLowerCase(), 'HOLD', 1, null, [], ` ${kind.enum[0]}`]);
  return pick(random, ['x', {}, [1], [{}], [{ trackId: 1, amount: 1 }], 7]);
}

export interface DispatcherTarget {
  key: string;
  /** An existing webhook of the key's user (PATCH and sub-resources). */
  webhookId: string;
}

/** `count` malformed requests for the dispatcher's API, drawn from `seed`. */
export function dispatcherCases(seed: number, count: number, target: DispatcherTarget): HostileCase[] {
  const random = seededRandom(seed);
  const auth = ['Authorization', `Bearer ${target.key}`] as const;
  const json = ['Content-Type', 'application/json'] as const;
  const validCreate = (): Record<string, unknown> => ({
    url: 'https://example.com/hook',
    events: ['trade.completed'],
    description: 'd',
  });
  const validEvent = (type: DeliverableEvent = pick(random, EVENT_TYPES)): Record<string, unknown> => ({
    event: type,
    data: structuredClone(EVENT_CATALOG[type].sample.data),
  });
  const post = (
    path: string,
    body: Buffer | string,
    headers: ReadonlyArray<readonly [string, string]> = [auth, json],
    method = 'POST',
  ) => httpBytes(method, path, headers, body);
  const endpoints = [
    { method: 'POST', path: '/api/webhooks', body: validCreate },
    { method: 'PATCH', path: `/api/webhooks/${target.webhookId}`, body: () => ({ isActive: true, description: 'd' }) },
    { method: 'POST', path: '/api/events', body: () => validEvent() },
  ];

  const make: Record<Kind, () => HostileCase> = {
    'bad-json': () => {
      const endpoint = pick(random, endpoints);
      const text = JSON.stringify(endpoint.body());
      const op = between(random, 0, 5);
      let broken: string;
      if (op === 0) broken = text.slice(0, between(random, 1, text.length - 1));
      else if (op === 1) broken = `${text.slice(0, -1)},}`;
      else if (op === 2) broken = text.replace(/"/g, "'");
      else if (op === 3) broken = `${text}${pick(random, ['}', ']', 'x', ',{}', '\u0000'])}`;
      else if (op === 4) broken = text.replace(/:/, pick(random, ['::', ':NaN,', ':undefined,', ': /* c */']));
      else broken = pick(random, ['{', '[', 'nul', 'tru', '"', '{"a"', '{"a":}', '{,}', '\u0000', '{"url":"x"']);
      if (isJson(broken)) broken = text.slice(0, -1);
      return {
        kind: 'bad-json',
        name: `${endpoint.method} ${endpoint.path}: ${broken.slice(0, 60)}`,
        bytes: httpBytes(endpoint.method, endpoint.path, [auth, json], broken),
      };
    },
    'wrong-type': () => {
      const which = between(random, 0, 2);
      let body: Record<string, unknown>;
      let path = '/api/events';
      let method = 'POST';
      if (which === 0) {
        body = validCreate();
        path = '/api/webhooks';
        const field = pick(random, ['url', 'events', 'description']);
        body[field] =
          field === 'url'
            ? pick(random, [
                42,
                null,
                [],
                {},
                true,
                'not a url',
                'ftp://x.io/',
                'javascript:alert(1)',
                'http://',
                '//example.com',
                'https://u:p@x.io/',
              ])
            : field === 'events'
              ? pick(random, [[], 'trade.completed', [42], [null], ['*', 'nope'], [['trade.completed']], {}, null, 7])
              : pick(random, [42, true, [], {}, ['d'], { d: 1 }]);
      } else if (which === 1) {
        method = 'PATCH';
        path = `/api/webhooks/${target.webhookId}`;
        body = { isActive: pick(random, ['true', 1, 0, null, [], {}, 'yes']) };
      } else {
        const type = pick(random, [...EVENT_TYPES, 'test'] as DeliverableEvent[]);
        body = validEvent(type);
        const fields = EVENT_CATALOG[type].fields.filter((f) => f.name !== 'userId'); // userId is always set by the server
        if (fields.length === 0 || random() < 0.25) {
          if (random() < 0.5)
            body.event = pick(random, [42, null, [], {}, '', 'TRADE.COMPLETED', `${type} `, 'trade.*', '*']);
          else body.data = pick(random, [[], 'x', 42, null, true, [{}]]);
        } else {
          const field = pick(random, fields);
          (body.data as Record<string, unknown>)[field.name] = wrongFor(random, field);
        }
      }
      let text = JSON.stringify(body);
      // 1e400 parses to Infinity: not a finite number.
      text = text.replace('"1e400"', '1e400');
      return {
        kind: 'wrong-type',
        name: `${method} ${path}: ${text.slice(0, 120)}`,
        bytes: httpBytes(method, path, [auth, json], text),
      };
    },
    huge: () => {
      const op = between(random, 0, 7);
      const size = between(random, 100_000, 900_000);
      if (op === 0)
        return {
          kind: 'huge',
          name: `url of ${size}`,
          bytes: post(
            '/api/webhooks',
            JSON.stringify({ ...validCreate(), url: `https://example.com/${'a'.repeat(size)}` }),
          ),
        };
      if (op === 1)
        return {
          kind: 'huge',
          name: `description of ${size}`,
          bytes: post('/api/webhooks', JSON.stringify({ ...validCreate(), description: 'd'.repeat(size) })),
        };
      if (op === 2)
        return {
          kind: 'huge',
          name: `unknown field of ${size}`,
          bytes: post('/api/events', JSON.stringify({ ...validEvent(), extra: 'x'.repeat(size) })),
        };
      if (op === 3) {
        const over = between(random, MIB + 1, MIB + 600_000);
        return {
          kind: 'huge',
          name: `body of ${over} bytes`,
          bytes: post(
            '/api/events',
            JSON.stringify({ ...validEvent(), pad: '' }).replace('"pad":""', `"pad":"${'p'.repeat(over)}"`),
          ),
        };
      }
      if (op === 4)
        return {
          kind: 'huge',
          name: `events × ${size / 10}`,
          bytes: post(
            '/api/webhooks',
            JSON.stringify({ ...validCreate(), events: Array(Math.floor(size / 10)).fill('nope') }),
          ),
        };
      if (op === 5) {
        const tracks = Math.floor(size / 3);
        return {
          kind: 'huge',
          name: `royalty tracks × ${tracks}`,
          bytes: post(
            '/api/events',
            `{"event":"royalty.claimed","data":{"amount":1,"tracks":[${Array(tracks).fill('{}').join(',')}]}}`,
          ),
        };
      }
      if (op === 6) {
        const keys = Math.floor(size / 12);
        const fields = Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',');
        return { kind: 'huge', name: `${keys} unknown keys`, bytes: post('/api/webhooks', `{${fields}}`) };
      }
      return {
        kind: 'huge',
        name: `unknown field name of ${size}`,
        bytes: post('/api/webhooks', JSON.stringify({ ...validCreate(), ['n'.repeat(size)]: 1 })),
      };
    },
    unicode: () => {
      const op = between(random, 0, 4);
      if (op === 0)
        return {
          kind: 'unicode',
          name: 'odd event type',
          bytes: post('/api/events', JSON.stringify({ ...validEvent(), event: oddType(random) })),
        };
      if (op === 1)
        return {
          kind: 'unicode',
          name: 'odd subscription',
          bytes: post('/api/webhooks', JSON.stringify({ ...validCreate(), events: [oddType(random)] })),
        };
      if (op === 2)
        return {
          kind: 'unicode',
          name: 'odd field name',
          bytes: post(
            '/api/webhooks',
            JSON.stringify({ ...validCreate(), [`url${pick(random, ODD)}`]: 'https://x.io/' }),
          ),
        };
      if (op === 3) {
        // Not UTF-8, inside a string value of an otherwise valid body.
        const [method, path, text, marker] = pick(random, [
          ['POST', '/api/webhooks', JSON.stringify(validCreate()), '"description":"'],
          ['PATCH', `/api/webhooks/${target.webhookId}`, JSON.stringify({ description: 'd' }), '"description":"'],
          ['POST', '/api/events', JSON.stringify(validEvent('trade.failed')), '"reason":"'],
        ] as const);
        const at = text.indexOf(marker) + marker.length;
        const bytes = Buffer.concat([
          Buffer.from(text.slice(0, at)),
          pick(random, BAD_UTF8),
          Buffer.from(text.slice(at)),
        ]);
        return {
          kind: 'unicode',
          name: `invalid UTF-8 in ${method} ${path}`,
          bytes: httpBytes(method, path, [auth, json], bytes),
        };
      }
      const body = Buffer.from(JSON.stringify(validCreate()), 'utf16le');
      return { kind: 'unicode', name: 'UTF-16 body', bytes: post('/api/webhooks', body) };
    },
    deep: () => {
      // Just past the 64 levels event data may have, up to far past what a stack can recurse through.
      const depth = random() < 0.3 ? between(random, 65, 1_000) : between(random, 1_000, 150_000);
      const shape = random() < 0.5 ? 'array' : 'object';
      const nested = deep(depth, shape);
      const op = between(random, 0, 4);
      if (op === 0)
        return {
          kind: 'deep',
          name: `whole body ${shape} ${depth}`,
          bytes: post(pick(random, ['/api/webhooks', '/api/events']), nested),
        };
      if (op === 1)
        return {
          kind: 'deep',
          name: `events[0] ${shape} ${depth}`,
          bytes: post('/api/webhooks', `{"url":"https://x.io/","events":[${nested}]}`),
        };
      if (op === 2)
        return {
          kind: 'deep',
          name: `description ${shape} ${depth}`,
          bytes: post('/api/webhooks', `{"url":"https://x.io/","events":["*"],"description":${nested}}`),
        };
      if (op === 3)
        return {
          kind: 'deep',
          name: `event ${shape} ${depth}`,
          bytes: post('/api/events', `{"event":${nested},"data":{}}`),
        };
      // A valid event otherwise: extra data fields are allowed, but not one nested beyond reason.
      const event = JSON.stringify(validEvent('trade.failed'));
      return {
        kind: 'deep',
        name: `data.extra ${shape} ${depth}`,
        bytes: post('/api/events', `${event.slice(0, -2)},"extra":${nested}}}`),
      };
    },
    headers: () => {
      const create = JSON.stringify(validCreate());
      const event = JSON.stringify(validEvent());
      const op = between(random, 0, 13);
      const cases: Array<[string, Buffer]> = [
        ['Authorization twice', post('/api/webhooks', create, [auth, auth, json])],
        ['Content-Type twice', post('/api/webhooks', create, [auth, json, json])],
        [
          'Idempotency-Key twice',
          post('/api/events', event, [auth, json, ['Idempotency-Key', 'k1'], ['Idempotency-Key', 'k2']]),
        ],
        [
          'two Content-Lengths',
          httpBytes('POST', '/api/webhooks', [auth, json, ['Content-Length', String(create.length + 1)]], create),
        ],
        [
          'Content-Length and chunked',
          httpBytes('POST', '/api/webhooks', [auth, json, ['Transfer-Encoding', 'chunked']], create),
        ],
        [
          'bad chunk size',
          httpBytes(
            'POST',
            '/api/webhooks',
            [auth, json, ['Transfer-Encoding', 'chunked']],
            `zz\r\n${create}\r\n0\r\n\r\n`,
            null,
          ),
        ],
        ['space in a header name', post('/api/webhooks', create, [auth, json, ['Bad Header', 'x']])],
        ['header line without a colon', post('/api/webhooks', create, [auth, json, ['X-No-Colon\r\nBroken', '']])],
        ['20 KB header', post('/api/webhooks', create, [auth, json, ['Cookie', 'c'.repeat(20_000)]])],
        ['no key', post('/api/webhooks', create, [json])],
        ['wrong key', post('/api/webhooks', create, [['Authorization', `Bearer ${target.key}x`], json])],
        [
          'not Bearer',
          post('/api/webhooks', create, [
            [
              'Authorization',
              pick(random, ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', `Token ${target.key}`, `${target.key}`]),
            ],
            json,
          ]),
        ],
        [
          'wrong Content-Type',
          post('/api/webhooks', create, [
            auth,
            [
              'Content-Type',
              pick(random, [
                'text/plain',
                'multipart/form-data',
                'application/x-www-form-urlencoded',
                'text/json',
                'application/jsonx',
              ]),
            ],
          ]),
        ],
        [
          'Idempotency-Key too long',
          post('/api/events', event, [auth, json, ['Idempotency-Key', 'k'.repeat(between(random, 256, 6000))]]),
        ],
      ];
      const [name, bytes] = cases[op] as [string, Buffer];
      return { kind: 'headers', name, bytes };
    },
    halfway: () => {
      const endpoint = pick(random, endpoints);
      const text = JSON.stringify(endpoint.body());
      const declared = text.length + between(random, 1, 5_000);
      const bytes = httpBytes(endpoint.method, endpoint.path, [auth, json], text, String(declared));
      const headerEnd = bytes.indexOf('\r\n\r\n') + 4;
      const at = between(random, headerEnd, bytes.length);
      return {
        kind: 'halfway',
        name: `${endpoint.method} ${endpoint.path} cut at ${at - headerEnd} of ${declared}`,
        bytes,
        cut: { at, how: random() < 0.5 ? 'end' : 'destroy' },
      };
    },
    route: () => {
      const id = target.webhookId;
      const [method, path] = pick(random, [
        ['GET', '/api/webhooks/%2e%2e/%2e%2e/etc/passwd'],
        ['GET', `/api/webhooks/${id}/deliveries/..%2f..%2f`],
        ['GET', `/api/webhooks/${'w'.repeat(between(random, 3000, 7000))}`],
        ['GET', `/api/webhooks/${id}/deliveries?limit=1e2`],
        ['GET', `/api/webhooks/${id}/deliveries?limit=`],
        [
          'GET',
          `/api/webhooks/${id}/deliveries?status=${pick(random, ['%E2%80%8Bpending', 'pending%00', '%ED%A0%80', '%FF', 'PENDING', 'pending&status=failed'])}`,
        ],
        ['GET', `/api/webhooks/${id}/deliveries?limit=-0`],
        ['DELETE', '/api/webhooks'],
        ['POST', `/api/webhooks/${id}`],
        ['PUT', '/api/events'],
        ['GET', '/api/events'],
        ['OPTIONS', '/api/webhooks'],
        ['TRACE', '/api/webhooks'],
        ['GET', '/%00'],
        ['GET', `/api/webhooks/${id}%00`],
        ['POST', `/api/webhooks/${id}%2Ftest`],
        ['GET', '//api//webhooks'],
        ['BREW', '/api/webhooks'],
        ['GET', '/admin/api/overview?webhook=%00'],
        ['GET', `/admin/api/overview?webhook=wh_${'w'.repeat(between(random, 100, 5000))}`],
        ['GET', '/admin/api/overview?webhook=wh_nope'],
        ['GET', '/admin/api/webhooks/%ff/deliveries/%00'],
        ['POST', '/admin/webhooks'],
        ['DELETE', '/admin/api/overview'],
      ] as const);
      return { kind: 'route', name: `${method} ${path.slice(0, 80)}`, bytes: httpBytes(method, path, [auth], '') };
    },
  };
  return Array.from({ length: count }, (_, i) => make[KINDS[i % KINDS.length] as Kind]());
}

/** `count` malformed deliveries for `listen --reject-invalid --secret SECRET`: none may be let through. */
export function listenerCases(seed: number, count: number, secret: string, nowSeconds: () => number): HostileCase[] {
  const random = seededRandom(seed);
  const envelope = (): string =>
    JSON.stringify({
      event: 'trade.completed',
      timestamp: new Date().toISOString(),
      data: EVENT_CATALOG['trade.completed'].sample.data,
    });
  const deliveryHeaders = (body: string | Buffer, overrides: Record<string, string> = {}): Array<[string, string]> => {
    const headers: Array<[string, string]> = [
      ['Content-Type', 'application/json'],
      ['X-V2K-Event', 'trade.completed'],
      ['X-V2K-Delivery', `dlv_${Math.floor(random() * 1e9)}`],
      ['X-V2K-Signature', sign(body, secret)],
    ];
    return headers.map(([name, value]) => [name, overrides[name] ?? value]);
  };
  const badSignature = (): string =>
    pick(random, [
      'a'.repeat(64),
      'z'.repeat(64),
      'abc',
      '',
      'é'.repeat(64),
      `${sign('other body', secret)}`,
      `${'0'.repeat(63)}\u00ff`,
      `sha256=${'a'.repeat(64)}`,
      'a'.repeat(between(random, 65, 8000)),
    ]);

  const make: Record<Kind, () => HostileCase> = {
    'bad-json': () => {
      const text = envelope();
      const broken = text.slice(0, between(random, 1, text.length - 1));
      return {
        kind: 'bad-json',
        name: 'truncated, signature of the whole',
        bytes: httpBytes('POST', '/', deliveryHeaders(broken, { 'X-V2K-Signature': sign(text, secret) }), broken),
      };
    },
    'wrong-type': () => {
      const body = envelope().replace('"amount":100', `"amount":${pick(random, ['"100"', 'null', '[]', '{}'])}`);
      return {
        kind: 'wrong-type',
        name: 'tampered amount, old signature',
        bytes: httpBytes('POST', '/', deliveryHeaders(body, { 'X-V2K-Signature': sign(envelope(), secret) }), body),
      };
    },
    huge: () => {
      const size = between(random, MIB + 1, MIB + 500_000);
      const body = Buffer.alloc(size, 0x61);
      const withLength = random() < 0.5;
      return {
        kind: 'huge',
        name: `${size} bytes ${withLength ? 'with' : 'without'} Content-Length`,
        bytes: withLength
          ? httpBytes('POST', '/', deliveryHeaders('x'), body)
          : httpBytes(
              'POST',
              '/',
              [...deliveryHeaders('x'), ['Transfer-Encoding', 'chunked']],
              `${size.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`,
              null,
            ),
      };
    },
    unicode: () => {
      const text = envelope();
      const op = between(random, 0, 2);
      if (op === 0) {
        const at = text.indexOf('tx_123');
        const body = Buffer.concat([
          Buffer.from(text.slice(0, at)),
          pick(random, BAD_UTF8),
          Buffer.from(text.slice(at)),
        ]);
        return {
          kind: 'unicode',
          name: 'invalid UTF-8, signature of the clean body',
          bytes: httpBytes('POST', '/', deliveryHeaders(text), body),
        };
      }
      if (op === 1) {
        const body = text.replace('tx_123', `tx_${pick(random, ODD)}123`);
        return {
          kind: 'unicode',
          name: 'odd character, old signature',
          bytes: httpBytes('POST', '/', deliveryHeaders(text), body),
        };
      }
      return {
        kind: 'unicode',
        name: 'odd event header, bad signature',
        bytes: httpBytes(
          'POST',
          '/',
          deliveryHeaders(text, {
            'X-V2K-Event': `trade${pick(random, ['\u00ff', '\u00a0', 'é'])}.completed`,
            'X-V2K-Signature': badSignature(),
          }),
          text,
        ),
      };
    },
    deep: () => {
      const nested = deep(between(random, 1_000, 150_000), random() < 0.5 ? 'array' : 'object');
      const body = random() < 0.5 ? nested : `{"event":"trade.completed","data":${nested}}`;
      return {
        kind: 'deep',
        name: 'deep body, bad signature',
        bytes: httpBytes('POST', '/', deliveryHeaders(body, { 'X-V2K-Signature': badSignature() }), body),
      };
    },
    headers: () => {
      const text = envelope();
      const good = sign(text, secret);
      const stamp = String(nowSeconds() + pick(random, [-3600, -301, 301, 86_400]));
      const op = between(random, 0, 8);
      const base = deliveryHeaders(text);
      const cases: Array<[string, Array<[string, string]>]> = [
        ['X-V2K-Signature twice (both right)', [...base, ['X-V2K-Signature', good]]],
        ['X-V2K-Signature twice (right, wrong)', [...base, ['X-V2K-Signature', badSignature()]]],
        ['bad X-V2K-Signature', deliveryHeaders(text, { 'X-V2K-Signature': badSignature() })],
        ['no signature', base.filter(([n]) => n !== 'X-V2K-Signature')],
        [
          'stale Standard Webhooks timestamp only',
          [
            ...base.filter(([n]) => n !== 'X-V2K-Signature'),
            ['webhook-id', 'msg_1'],
            ['webhook-timestamp', stamp],
            ['webhook-signature', `v1,${Buffer.alloc(32).toString('base64')}`],
          ],
        ],
        [
          'webhook-timestamp not a number',
          [
            ...base,
            ['webhook-id', 'msg_1'],
            ['webhook-timestamp', pick(random, ['abc', '-1', '1e10', ' ', '１２３'])],
            ['webhook-signature', 'v1,xyz'],
          ],
        ],
        ['two Content-Lengths', [...base, ['Content-Length', String(text.length + 3)]]],
        ['space in a header name', [...base, ['Bad Header', 'x']]],
        ['20 KB header', [...base, ['X-Pad', 'p'.repeat(20_000)]]],
      ];
      const [name, headers] = cases[op] as [string, Array<[string, string]>];
      return { kind: 'headers', name, bytes: httpBytes('POST', '/', headers, text) };
    },
    halfway: () => {
      const text = envelope();
      const bytes = httpBytes('POST', '/', deliveryHeaders(text), text, String(text.length + between(random, 1, 3000)));
      const headerEnd = bytes.indexOf('\r\n\r\n') + 4;
      const at = between(random, headerEnd, bytes.length);
      return {
        kind: 'halfway',
        name: `cut at ${at - headerEnd}`,
        bytes,
        cut: { at, how: random() < 0.5 ? 'end' : 'destroy' },
      };
    },
    route: () => {
      const method = pick(random, ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'BREW']);
      return {
        kind: 'route',
        name: `${method} /`,
        bytes: httpBytes(method, pick(random, ['/', '/hook', '/%00', `/${'p'.repeat(5000)}`]), deliveryHeaders(''), ''),
      };
    },
  };
  return Array.from({ length: count }, (_, i) => make[KINDS[i % KINDS.length] as Kind]());
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
