/**
 * zod as obsmon's schemas import it: `import * as z from '../config/zod.ts'`. zod/mini's functional API
 * (`z.optional(s)`, `s.check(z.minimum(0))`) lets the bundle keep only the parts in use (~30 KB), where
 * the classic API's methods hold all of zod (~300 KB of source, and a few dozen methods on every schema
 * object) in every process. zod/mini has no messages until configured: English, as classic zod sets at
 * import, so the messages users see are the same.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
