"""Known AI tools and who makes them, so a marker or hint naming only the tool still tells the vendor."""

from __future__ import annotations

TOOL_VENDORS: dict[str, str] = {
    "claude-code": "anthropic",
    "claude": "anthropic",
    "claude.ai": "anthropic",
    "codex": "openai",
    "chatgpt": "openai",
    "copilot": "github",
    "github-copilot": "github",
    "cursor": "anysphere",
    "cursor-tab": "anysphere",
    "gemini": "google",
    "gemini-cli": "google",
    "jules": "google",
    "windsurf": "codeium",
    "codeium": "codeium",
    "amazon-q": "amazon",
    "codewhisperer": "amazon",
    "tabnine": "tabnine",
    "devin": "cognition",
    "grok": "xai",
    "mistral": "mistral",
    "le-chat": "mistral",
    "deepseek": "deepseek",
}
"""Tool -> vendor of the tool. Aider and other model-agnostic tools are absent on purpose: their vendor is
the model's, which only the model field can tell."""

MODEL_PREFIX_VENDORS: tuple[tuple[str, str], ...] = (
    ("claude", "anthropic"),
    ("gpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("codex", "openai"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("llama", "meta"),
    ("mistral", "mistral"),
    ("codestral", "mistral"),
    ("grok", "xai"),
    ("deepseek", "deepseek"),
    ("qwen", "alibaba"),
)


def infer_vendor(tool: str | None, model: str | None) -> str | None:
    """The vendor implied by the model name first (it is the model's output that matters), else the tool."""
    if model:
        lowered = model.lower()
        for prefix, vendor in MODEL_PREFIX_VENDORS:
            if lowered.startswith(prefix):
                return vendor
    if tool:
        return TOOL_VENDORS.get(tool.lower())
    return None


TOOL_NAMES: dict[str, str] = {
    "claude-code": "Claude Code",
    "codex": "Codex",
    "copilot": "Copilot",
    "cursor": "Cursor",
    "cursor-tab": "Cursor Tab",
    "chatgpt": "ChatGPT",
    "claude.ai": "Claude.ai",
    "gemini": "Gemini",
    "aider": "aider",
    "windsurf": "Windsurf",
}


def display_name(tool: str) -> str:
    return TOOL_NAMES.get(tool.lower(), tool)
