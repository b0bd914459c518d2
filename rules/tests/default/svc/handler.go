package svc

// provguard: begin kind=ai-completion tool=copilot vendor=github reviewed-by=dana@example.com
// expect: ai-output-in-test-function
func TestHandler(t *testing.T) {
	t.Log("ok")
}

// expect: ai-output-in-test-function
func BenchmarkHandler(b *testing.B) {
}

// ok: ai-output-in-test-function
func Handle() int {
	return 1
}
// provguard: end
