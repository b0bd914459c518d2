from src.parser import parse


# provguard: kind=ai-agent tool=claude-code model=claude-sonnet-4-5
def test_parse_empty():
    assert parse("") == []
