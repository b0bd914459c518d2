# Everything in a test file is a test task, whatever the function is called.
# expect: ai-output-in-test-task-file
# provguard: kind=ai-completion tool=copilot reviewed-by=dana@example.com
def test_parse_number():
    assert int("1") == 1


# expect: ai-output-in-test-task-file
# provguard: kind=ai-chat-paste tool=chatgpt reviewed-by=dana@example.com
def make_cases():
    return ["1", "2"]


# ok: ai-output-in-test-task-file
def test_written_by_hand():
    assert int("2") == 2


# Test files are covered as a whole, so the test-function rule stays quiet here.
# expect: ai-output-in-test-task-file
# ok: ai-output-in-test-function
# provguard: kind=ai-agent tool=codex reviewed-by=dana@example.com
def test_other():
    assert True
