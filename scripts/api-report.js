// The API report: one file per entry point in etc/, written by API Extractor from the built
// declarations. `node scripts/api-report.js` rewrites the reports; with `--check` it fails when
// the public surface differs from the committed reports (run `npm run api` and commit them).
import console from 'node:console';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json');
if (!check) mkdirSync(join(ROOT, 'etc'), { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'breakwater-api-'));

let failed = false;
try {
  for (const entry of entries) {
    const sub = entry === '.' ? '' : entry.slice(2);
    const reportName = sub === '' ? 'breakwater' : `breakwater-${sub}`;
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: ROOT,
        mainEntryPointFilePath: join(ROOT, pkg.exports[entry].import.types),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
              types: ['node'],
            },
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: `${reportName}.api.md`,
          reportFolder: join(ROOT, 'etc'),
          reportTempFolder: scratch,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            'ae-missing-release-tag': { logLevel: 'none' },
            'ae-forgotten-export': { logLevel: 'none' },
            // TypeDoc checks the documentation (`npm run docs`); links across entry points are fine.
            'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
            'ae-unresolved-link': { logLevel: 'none', addToApiReportFile: false },
            // TypeDoc wants the setter documented too.
            'ae-setter-with-docs': { logLevel: 'none', addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(ROOT, 'api-extractor.json'),
      packageJsonFullPath: join(ROOT, 'package.json'),
    });
    const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false });
    if (!result.succeeded) {
      failed = true;
      console.error(
        check && result.apiReportChanged
          ? `API report etc/${reportName}.api.md is out of date: the public surface of '${pkg.name}${sub === '' ? '' : `/${sub}`}' changed. Run \`npm run api\` and commit etc/.`
          : `API Extractor failed for ${entry} (${result.errorCount} errors, ${result.warningCount} warnings)`,
      );
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
