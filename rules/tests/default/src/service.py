"""Test functions outside test files: AI output inside one is a test task."""

# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
# expect: ai-output-in-test-function
def test_inline_check():
    assert add(1, 2) == 3


# ok: ai-output-in-test-function
def add(a, b):
    return a + b


# expect: ai-output-in-test-function
@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert add(n, 0) == n
# provguard: end


# A test function a person wrote.
# ok: ai-output-in-test-function
def test_by_hand():
    assert add(2, 2) == 4
