/**
 * The examples compile against cmpflow's public API with the project's strict compiler options.
 * Running them is not enough to know that: ts-jest only transpiles, since the project uses
 * isolatedModules.
 */
import * as path from 'path';
import * as ts from 'typescript';

const CONFIG = path.resolve(__dirname, '../../docs/examples/tsconfig.json');
const EXAMPLES = path.dirname(CONFIG);

it('type-checks every file of docs/examples without a diagnostic', () => {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d: ts.Diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  };
  const config = ts.getParsedCommandLineOfConfigFile(CONFIG, {}, host);
  expect(config).toBeDefined();
  expect(config!.fileNames.length).toBeGreaterThan(0);
  const program = ts.createProgram(config!.fileNames, config!.options);
  // Only the examples' own diagnostics: the rest of the tree is type-checked by `npm run typecheck`.
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || path.resolve(d.file.fileName).startsWith(EXAMPLES + path.sep))
    .map((d) => {
      const where =
        d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  expect(diagnostics).toEqual([]);
}, 120_000);
