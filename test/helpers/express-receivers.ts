import express, { type Express } from 'express';
import { HEADER, verify } from '../../src/index.js';

/**
 * The receiver a careful developer writes (the README's Express example): the raw body
 * verified with both schemes, parsed only then, and each event processed once — a delivery
 * whose webhook-id it has seen is answered 200 without doing the work again.
 */
export function createRawBodyApp(secret: string, processed: Array<{ id: string; event: string }> = []): Express {
  const app = express();
  const seen = new Set<string>();
  app.post('/webhooks/v2k', express.raw({ type: 'application/json' }), (req, res) => {
    const result = verify({ payload: req.body as Buffer, headers: req.headers, secret });
    if (!result.ok) {
      res.status(401).send(result.message);
      return;
    }
    const event = JSON.parse((req.body as Buffer).toString('utf8')) as { event: string };
    const id = String(req.headers[HEADER.webhookId]);
    if (!seen.has(id)) {
      seen.add(id);
      processed.push({ id, event: event.event });
    }
    res.sendStatus(200);
  });
  return app;
}
