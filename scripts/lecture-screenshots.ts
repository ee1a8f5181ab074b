/**
 * The README's pictures of the lecture's pages, as a user first sees them: the lab built and served as the tests serve
 * it (test/helpers/lab.ts), the home page and every page of web/src/lib/pages.ts opened in chromium, given a few
 * seconds to load its shipped model and data, and shot at 1280×900 into docs/images/lab-NAME.png.
 *
 *   node --import tsx scripts/lecture-screenshots.ts [NAME…]     (about a minute on two cores)
 *
 * The lab tests save full-page shots of every page, in their states under test, into test-output/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PAGES } from '../web/src/lib/pages.js';
import { ROOT, startLabSession } from '../test/helpers/lab.js';

const OUT = join(ROOT, 'docs', 'images');
/** How long a page may take to settle (load its model, fetch data, run its first computations). */
const SETTLE_MS = 8_000;

const wanted = process.argv.slice(2);
const pages = ['index.html', ...PAGES.map((p) => p.href)].filter((href) => wanted.length === 0 || wanted.includes(href.replace(/\.html$/, '')));
mkdirSync(OUT, { recursive: true });
const session = await startLabSession();
try {
  for (const href of pages) {
    const { page, errors } = await session.open(href);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(SETTLE_MS);
    const name = href === 'index.html' ? 'home' : href.replace(/\.html$/, '');
    await page.screenshot({ path: join(OUT, `lab-${name}.png`) });
    process.stdout.write(`docs/images/lab-${name}.png${errors.length ? `  (errors: ${errors.join('; ')})` : ''}\n`);
    await page.close();
  }
} finally {
  await session.close();
}
