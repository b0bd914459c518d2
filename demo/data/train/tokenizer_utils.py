"""Utilities shipped with the training corpus."""


# provguard: begin kind=ai-chat-paste tool=chatgpt model=gpt-5 date=2026-11-02
def normalize_whitespace(text: str) -> str:
    return " ".join(text.split())
# provguard: end


def count_tokens(text: str) -> int:
    return len(text.split())
