def parse(text: str) -> list[str]:
    return text.split()


# provguard: kind=ai-completion tool=copilot reviewed-by=dana@example.com
def parse_lines(text: str) -> list[str]:
    return text.splitlines()
