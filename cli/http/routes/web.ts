/**
 * The web views: `GET /` is a page (the node's routing table and lookups, or the demo's whole network) and
 * `GET /web/{file}` its scripts and style, read from the package's `web/` folder. Everything the page needs
 * comes from the node: no CDN, so it works offline. The page is a `page` route (with a token, `?token=`
 * is accepted); the files are `public`, being the package's own code with no node data in them.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { addressKey } from '../../../framework/index.js';
import type { Address } from '../../../framework/index.js';
import { HttpError } from '../errors.js';
import type { Route, RouteResponse } from '../router.js';
import { eventRoutes } from './events.js';
import type { ApiServices } from './services.js';

/** Content types of the files `GET /web/{file}` serves, by extension. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
};
/** A file name `GET /web/{file}` serves: no path separators, so nothing outside the folder. */
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;
/** The page may run only its own scripts and styles and talk only to its node. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** The view a server's `GET /` shows. */
export type WebView = 'node' | 'network';

/**
 * The `web/` folder: beside `cli/` in the package, found from this module both in the sources
 * (`cli/http/routes/web.ts`, as the tests run them) and built (`dist/cli/http/routes/web.js`).
 * @param moduleUrl where this module is. @default import.meta.url
 * @returns the folder's path, ending in `/`.
 * @throws {@link HttpError} 500 `no-web-folder` when neither place holds it.
 */
export function webDir(moduleUrl: string = import.meta.url): string {
  for (const up of ['../../../web/', '../../../../web/']) {
    const dir = fileURLToPath(new URL(up, moduleUrl));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new HttpError(500, 'no-web-folder', `the web folder was not found beside ${fileURLToPath(moduleUrl)}`);
}

/**
 * The page and its files.
 * @param view `node` (the node's own view, `web/index.html`) or `network` (the demo's, `web/network.html`).
 */
export function webRoutes(view: WebView): Route[] {
  let found: string | undefined;
  const dir = (): string => (found ??= webDir());
  const page = view === 'node' ? 'index.html' : 'network.html';
  return [
    { method: 'GET', path: '/', access: 'page', handler: async () => ({ ...(await file(dir(), page)), headers: PAGE_HEADERS }) },
    {
      method: 'GET',
      path: '/web/:file',
      access: 'public',
      handler: ({ params }) => {
        const name = params.file!;
        if (!FILE_NAME.test(name)) throw new HttpError(404, 'not-found', `no file ${JSON.stringify(name)} in the web folder`);
        return file(dir(), name);
      },
    },
  ];
}

/**
 * The node's view: its page (`GET /`, its files) and its lookups as they happen (`GET /events`).
 * @param s the node's services.
 */
export function nodeViewRoutes(s: Pick<ApiServices, 'host' | 'dht'>): Route[] {
  return [...webRoutes('node'), ...eventRoutes([{ mid: s.host.midHex, dht: s.dht }])];
}

/** A demo node as the network view draws it. */
export interface NetworkNode {
  /** Its mid, in hex. */
  readonly mid: string;
  /** Its UDP address. */
  readonly address: Address;
  /** Contacts in its routing table now. */
  readonly contacts: () => number;
}

/**
 * `GET /network`: the nodes of a local network (the demo's), for the network view.
 * @param nodes the nodes.
 */
export function networkRoutes(nodes: readonly NetworkNode[]): Route[] {
  return [
    {
      method: 'GET',
      path: '/network',
      handler: () => ({ body: { nodes: nodes.map((n) => ({ mid: n.mid, address: addressKey(n.address), contacts: n.contacts() })) } }),
    },
  ];
}

async function file(dir: string, name: string): Promise<RouteResponse> {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  let text: string;
  try {
    text = await readFile(`${dir}${name}`, 'utf8');
  } catch (cause) {
    throw new HttpError(404, 'not-found', `no file ${JSON.stringify(name)} in the web folder`, { cause });
  }
  return { body: text, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
}
