// expect: ai-output-in-test-task-file
/* provguard: begin kind=ai-agent tool=cursor reviewed-by=dana@example.com */
import { format } from "./format";

it("formats", () => {
  expect(format(1)).toBe("1");
});
/* provguard: end */
