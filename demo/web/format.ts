// provguard: begin kind=ai-agent tool=codex vendor=openai
export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}
// provguard: end

const label = "// provguard: begin kind=ai-agent (in a string, not a marker)";
