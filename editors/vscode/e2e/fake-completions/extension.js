// Test fixture for e2e/run.mjs: after a line that reads `def completed(rows):`, typing `return` is offered
// ` sorted(rows, reverse=True)` as an inline suggestion (ghost text), like a completion extension would.
const vscode = require('vscode');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider(
      { language: 'python' },
      {
        provideInlineCompletionItems(document, position) {
          const before = document.lineAt(position.line).text.slice(0, position.character);
          const previous = position.line > 0 ? document.lineAt(position.line - 1).text : '';
          if (!previous.startsWith('def completed(rows):') || before.trim() !== 'return') {
            return [];
          }
          const start = new vscode.Position(position.line, 0);
          return [new vscode.InlineCompletionItem(`${before} sorted(rows, reverse=True)`, new vscode.Range(start, position))];
        },
      },
    ),
  );
};
