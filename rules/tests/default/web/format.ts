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

// todo-expect: ai-output-in-test-function
it.each([1, 2])("formats %d", (n) => {
  expect(format(n)).toBeDefined();
});

// todo-expect: ai-output-in-test-function
test.only("focused", () => {
  expect(format(0)).toBe("0");
});

// ok: ai-output-in-test-function
export function format(n: number): string {
  return String(Math.round(n)).padStart(2, "0");
}
// provguard: end
