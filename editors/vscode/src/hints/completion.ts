/**
 * Inline completion hints: provguard's accept commands run VS Code's own and note that the next change to the
 * document is the accepted suggestion.
 *
 * VS Code does not tell an extension which provider's suggestion was accepted, so the tool is named only when
 * it can be known: inside Cursor (Cursor Tab) or Windsurf, or when exactly one known completion extension is
 * active. Otherwise the hint names no tool and the code is still recorded as an AI completion.
 */

import type { HintTracker } from './tracker';

/** VS Code's accept commands and the provguard commands bound to the same keys that wrap them. */
export const ACCEPT_COMMANDS: Readonly<Record<string, string>> = {
  'provguard.inlineSuggest.commit': 'editor.action.inlineSuggest.commit',
  'provguard.inlineSuggest.acceptNextWord': 'editor.action.inlineSuggest.acceptNextWord',
  'provguard.inlineSuggest.acceptNextLine': 'editor.action.inlineSuggest.acceptNextLine',
};

const EDITOR_TOOLS: readonly (readonly [string, string])[] = [
  ['cursor', 'cursor'],
  ['windsurf', 'windsurf'],
];

const EXTENSION_TOOLS: Readonly<Partial<Record<string, string>>> = {
  'github.copilot': 'copilot',
  'github.copilot-chat': 'copilot',
  'codeium.codeium': 'codeium',
  'tabnine.tabnine-vscode': 'tabnine',
  'supermaven.supermaven': 'supermaven',
  'amazonwebservices.amazon-q-vscode': 'amazon-q',
  'continue.continue': 'continue',
  'sourcegraph.cody-ai': 'cody',
};

/** The completion tool, from the editor's name and the ids of the active extensions; undefined if unsure. */
export function completionTool(appName: string, activeExtensions: readonly string[]): string | undefined {
  const app = appName.toLowerCase();
  const editor = EDITOR_TOOLS.find(([name]) => app.includes(name));
  if (editor !== undefined) {
    return editor[1];
  }
  const tools = new Set(
    activeExtensions.map((id) => EXTENSION_TOOLS[id.toLowerCase()]).filter((t): t is string => t !== undefined),
  );
  return tools.size === 1 ? [...tools][0] : undefined;
}

export interface AcceptContext {
  /** The document of the focused editor, if any. */
  activeUri(): string | undefined;
  tool(): string | undefined;
  execute(command: string): Thenable<unknown>;
}

/** Runs VS Code's accept command after telling the tracker what the coming change is. The original always runs,
 * even without a focused document, so the key never stops working. */
export async function acceptInlineSuggestion(
  tracker: HintTracker,
  context: AcceptContext,
  original: string,
): Promise<void> {
  const uri = context.activeUri();
  if (uri !== undefined) {
    const tool = context.tool();
    tracker.expect({ uri, kind: 'inline-completion', ...(tool !== undefined ? { tool } : {}) });
  }
  await context.execute(original);
}
