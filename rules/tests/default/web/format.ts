// provguard: begin kind=ai-agent tool=codex vendor=openai reviewed-by=dana@example.com
// expect: ai-output-in-test-function
describe("format", () => {
  it("pads", () => {
    expect(format(1)).toBe("01");
  });
});

// expect: ai-output-in-test-function
test("rounds", () => {
  expect(format(1.5)).toBe("2");
});

// expect: ai-output-in-test-function
it.each([1, 2])("formats %d", (n) => {
  expect(format(n)).toBeDefined();
});

// expect: ai-output-in-test-function
test.only("focused", () => {
  expect(format(0)).toBe("0");
});

// Not a test call: only it, test and describe (and their modifiers) are.
// ok: ai-output-in-test-function
expect(format(1)).toBe("01");

// ok: ai-output-in-test-function
export function format(n: number): string {
  return String(Math.round(n)).padStart(2, "0");
}
// provguard: end
