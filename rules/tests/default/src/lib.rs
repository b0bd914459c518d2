// provguard: begin kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
// A comment between an attribute and its function would hide the function from the query: these
// annotations stand at the end of the line they are about.
#[test]
fn adds() { // expect: ai-output-in-test-function
    assert_eq!(add(1, 2), 3);
}

#[tokio::test]
async fn adds_async() { // expect: ai-output-in-test-function
    assert_eq!(add(1, 2), 3);
}

#[test]
#[should_panic(expected = "overflow")]
// A comment between the attributes and the function.
fn overflows() { // expect: ai-output-in-test-function
    add(i32::MAX, 1);
}

#[derive(Debug)]
// ok: ai-output-in-test-function
struct Pair(i32, i32);

// ok: ai-output-in-test-function
pub fn add(a: i32, b: i32) -> i32 {
    a + b
}
// provguard: end
