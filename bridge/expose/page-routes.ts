import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/**
 * The built-in status page: static files of bridge/page and uPlot from node_modules, so it works
 * offline (no CDN). express.static refuses paths that leave its root.
 */
export function pageRoutes(): Router {
  const router = express.Router();
  const headers = (res: express.Response) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
  };
  router.use('/vendor', express.static(UPLOT_DIR, { index: false, setHeaders: headers, fallthrough: false }));
  router.use(express.static(PAGE_DIR, { index: 'index.html', setHeaders: headers }));
  return router;
}
