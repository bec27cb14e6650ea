/**
 * The dashboard page: one self-contained HTML document with its stylesheet and script inline
 * (nothing from a CDN; works offline). Its Content-Security-Policy allows exactly that inline
 * script and stylesheet (by hash), connections to its own origin, and nothing else.
 */
import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page and the headers it is served with. */
export interface Page {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Builds the page once per dashboard; `title` is escaped. */
export function renderPage(title: string, allowControl: boolean): Page {
  const t = escapeHtml(title);
  const token = allowControl
    ? '<input id="token" type="password" autocomplete="off" placeholder="control token" aria-label="control token" hidden>'
    : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="top">
<h1>${t}</h1>
<span id="summary"></span>
<input id="filter" type="search" placeholder="Filter by name or state" aria-label="filter breakers" autocomplete="off">
<select id="show" aria-label="show">
<option value="all">all breakers</option><option value="trouble">in trouble</option><option value="open">open</option>
<option value="half-open">half-open</option><option value="isolated">isolated</option><option value="failing">failing</option>
<option value="slow">slow</option><option value="healthy">healthy</option>
</select>
<select id="sort" aria-label="sort">
<option value="severity">in trouble first</option><option value="name">by name</option>
<option value="failure-rate">by failure rate</option><option value="slow-rate">by slow rate</option><option value="calls">by calls</option>
</select>
${token}
<span id="status">connecting</span>
</header>
<div id="instances" hidden></div>
<main>
<section>
<p id="message" role="status"></p>
<p id="empty" hidden>No breakers report into this telemetry stream yet.</p>
<nav class="pager"><button id="prev" type="button" disabled>&lsaquo; previous</button><span id="pager"></span><button id="next" type="button" disabled>next &rsaquo;</button><span id="rest"></span></nav>
<div id="breakers"></div>
<div id="policies" hidden>
<h2>Policies</h2>
<table>
<thead><tr><th scope="col">policy</th><th scope="col">kind</th><th scope="col">since the dashboard started</th></tr></thead>
<tbody id="policy-rows"></tbody>
</table>
</div>
</section>
<aside>
<h2>Recent transitions</h2>
<ul id="transitions"></ul>
</aside>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    },
  };
}
