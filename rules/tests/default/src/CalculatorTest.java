// provguard: begin kind=ai-completion tool=copilot vendor=github reviewed-by=dana@example.com
class CalculatorTest {
    // expect: ai-output-in-test-function
    @Test
    void adds() {
        assertEquals(3, 1 + 2);
    }

    // expect: ai-output-in-test-function
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void keeps(int n) {
        assertEquals(n, n + 0);
    }

    // ok: ai-output-in-test-function
    int helper() {
        return 1;
    }
}
// provguard: end
