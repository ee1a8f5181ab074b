/**
 * Vite build of the lab (web/): every `*.html` in web/ is a page; TypeScript modules under web/src/ import genlab
 * through src/browser.ts only. `genlab lab` (src/cli/lab.ts) runs this build into dist/lab/ and serves it.
 *
 * Three small plugins:
 * - `nodeImportGuard` fails the build when browser code imports a Node built-in, except the file-I/O-only imports
 *   listed in NODE_IO_ONLY, which get stubs that throw if called (see src/browser.ts).
 * - `tfjsWasm` copies the binaries of @tensorflow/tfjs-backend-wasm into `wasm/` of the build (and serves them in
 *   `vite dev`), so pages can pass `wasmPath: 'wasm/'` to initEngine: nothing is fetched from a CDN.
 * - `buildStamp` writes `.genlab-build.json` (when this build started, vite's version) into the output, which
 *   `genlab lab` compares with the sources' modification times to decide whether to rebuild.
 */
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, version as viteVersion, type Plugin } from 'vite';

const webRoot = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Build output's name for the stamp file `genlab lab` reads (src/cli/lab.ts has the same name). */
const BUILD_STAMP = '.genlab-build.json';

/** The folder holding tfjs-backend-wasm's .wasm binaries. */
function wasmDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

function tfjsWasm(): Plugin {
  const files = (): string[] => readdirSync(wasmDir()).filter((f) => f.endsWith('.wasm'));
  return {
    name: 'genlab-tfjs-wasm',
    generateBundle() {
      for (const f of files()) this.emitFile({ type: 'asset', fileName: `wasm/${f}`, source: readFileSync(join(wasmDir(), f)) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/wasm\/([\w.-]+\.wasm)$/.exec((req.url ?? '').split('?')[0]!);
        if (!m || !files().includes(m[1]!)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        createReadStream(join(wasmDir(), m[1]!)).pipe(res);
      });
    },
  };
}

function buildStamp(): Plugin {
  const started = Date.now();
  return {
    name: 'genlab-build-stamp',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: BUILD_STAMP, source: JSON.stringify({ started, vite: viteVersion }) + '\n' });
    },
  };
}

/**
 * Modules of src/ that import Node built-ins for file I/O only (see src/browser.ts): the data loaders that read files
 * (and npy.ts, whose encoder and parser the runs board uses on bytes), and engine/model-io.ts, through which every saved model reads and writes its folder (the model classes import no
 * Node module). They get stubs (see nodeImportGuard); any other importer of a Node built-in fails the build, so
 * nothing that needs Node slips into the lab unnoticed.
 */
const NODE_IO_ONLY = ['src/data/csv.ts', 'src/data/idx.ts', 'src/data/npy.ts', 'src/engine/model-io.ts'];

const STUB = '\0genlab-node-stub:';

/**
 * Node built-ins in browser code: for the importers in NODE_IO_ONLY, a stub module with every export of the
 * built-in as a function that throws when called (the page never calls them; importing stays harmless, in the dev
 * server too); for any other importer of src/ or web/, a build error.
 */
function nodeImportGuard(): Plugin {
  const repoRoot = join(webRoot, '..');
  return {
    name: 'genlab-node-import-guard',
    enforce: 'pre',
    resolveId(id, importer) {
      if (!importer || !(id.startsWith('node:') || builtinModules.includes(id))) return null;
      const from = relative(repoRoot, importer).split(sep).join('/');
      if (from.startsWith('node_modules/') || from.startsWith('..')) return null; // dependencies: Vite's own handling
      if (NODE_IO_ONLY.includes(from)) return STUB + id;
      this.error(`${from} imports the Node module ${id}, which browsers lack: keep it out of what src/browser.ts and web/ import`);
    },
    async load(id) {
      if (!id.startsWith(STUB)) return null;
      const name = id.slice(STUB.length);
      const names = Object.keys((await import(name)) as object).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      const stub = (k: string): string => `export const ${k} = unavailable(${JSON.stringify(`${name} ${k}`)});`;
      return [
        'const unavailable = (what) => function () { throw new Error(what + " is not available in the browser"); };',
        ...names.map(stub),
        'export default {};',
      ].join('\n');
    },
  };
}

const pages = readdirSync(webRoot).filter((f) => f.endsWith('.html'));

export default defineConfig({
  root: webRoot,
  base: './',
  // The lab has no public/ folder; everything it needs is imported or emitted by the plugins above.
  publicDir: false,
  clearScreen: false,
  appType: 'mpa',
  plugins: [nodeImportGuard(), tfjsWasm(), buildStamp()],
  build: {
    outDir: join(webRoot, '..', 'dist', 'lab'),
    emptyOutDir: true,
    target: 'es2022',
    // TF.js is large; one chunk of ~1.5 MB is expected.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      input: Object.fromEntries(pages.map((p) => [p.replace(/\.html$/, ''), join(webRoot, p)])),
      onLog(level, log, handler) {
        // engine/backend.ts imports the wasm backend statically (Node) and dynamically (browser): expected.
        if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' && log.message.includes('src/engine/backend.ts')) return;
        handler(level, log);
      },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
