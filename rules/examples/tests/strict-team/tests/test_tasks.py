# The team forbids suppressing the test-task rules.
# expect: suppression-forbidden
# provguard: allow[ai-output-in-test-task-file] reason: generated, then reviewed by QA
# expect: ai-output-in-test-task-file
# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def test_generated():
    assert True
